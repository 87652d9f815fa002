import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type SextantClient } from '../src/sdk/index.js';
import { bytes, testApp, type TestApp } from './helpers/app.js';
import { runCli } from './helpers/processes.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'explain', 'expected.json'), 'utf8'));
const xgb = expected.xgboost_cases['xgb-binary'] as { rows: (number | null)[][]; contributions: number[][]; baseValue: number };
const multi = expected.xgboost_cases['xgb-multi'] as { rows: number[][]; contributions: number[][][]; baseValue: number[] };
const linear = expected.linear_cases['breast-cancer-linear'] as { features: string[]; rows: number[][]; contributions: number[][]; baseValue: number };
const forest = expected.onnx_tree_cases['forest-iris'] as { features: string[]; rows: number[][]; contributions: number[][][]; baseValue: number[] };
const who = { actor: 'test' };

let t: TestApp;
let url: string;
let api: SextantClient;

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const logit = (p: number) => Math.log(p / (1 - p));

async function post(p: string, body: unknown) {
  const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  t = await testApp({ env: { SEXTANT_REFRESH_MS: '50', SEXTANT_BODY_LIMIT: '2000000' } });
  const { registry, serving, monitoring } = t.app;
  const add = async (model: string, task: 'binary-classification' | 'multiclass-classification', file: string, format: 'xgboost-json' | 'sextant-linear' | 'onnx' | 'remote', reference?: string, features?: string[]) => {
    await registry.models.create({ name: model, task }, who);
    const signature = features && { inputs: features.map((name) => ({ name, type: 'double' as const })), outputs: [] };
    const v = await registry.versions.register(model, bytes(file.startsWith('{') ? file : fs.readFileSync(file)), { format, alias: 'champion', signature }, who);
    if (reference) await monitoring.references.upload(model, v.version, fs.readFileSync(reference, 'utf8'), 'csv');
    await serving.deployments.create({ name: model, model, alias: 'champion' }, who);
  };
  await add('xgb', 'binary-classification', path.join(FIX, 'serving', 'xgb-binary.json'), 'xgboost-json');
  await add('multi', 'multiclass-classification', path.join(FIX, 'serving', 'xgb-multi.json'), 'xgboost-json');
  await add('bc', 'binary-classification', path.join(FIX, 'serving', 'breast-cancer-linear.json'), 'sextant-linear', path.join(FIX, 'explain', 'breast-cancer-reference.csv'));
  await add('iris', 'multiclass-classification', path.join(FIX, 'explain', 'forest-iris.onnx'), 'onnx', undefined, forest.features);
  await add('remote', 'binary-classification', JSON.stringify({ url: 'http://127.0.0.1:9', protocol: 'mlflow', features: ['a'] }), 'remote');
  await serving.live.refresh();
  url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  api = createClient({ baseUrl: url });
});

afterAll(async () => {
  await t?.close();
});

describe('POST /v2/models/{name}/explain (OIP)', () => {
  it('answers outputs plus TreeSHAP values equal to XGBoost’s, adding up to the margin of each row', async () => {
    const rows = xgb.rows.slice(0, 5);
    const r = await post('/v2/models/xgb/explain', { id: 'e1', inputs: [{ name: 'x', shape: [rows.length, rows[0]!.length], datatype: 'FP64', data: rows }] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.id).toBe('e1');
    const e = r.body.explanations;
    expect(e.space).toBe('margin');
    expect(e.features).toHaveLength(30);
    expect(Math.abs(e.baseValue - xgb.baseValue)).toBeLessThan(1e-5);
    const probs = r.body.outputs.find((o: { name: string }) => o.name === 'probabilities').data as number[];
    rows.forEach((_, i) => {
      e.contributions[i].forEach((c: number, f: number) => expect(Math.abs(c - xgb.contributions[i]![f]!)).toBeLessThan(1e-5));
      expect(Math.abs(e.baseValue + sum(e.contributions[i]) - logit(probs[i * 2 + 1]!))).toBeLessThan(1e-4);
    });
  });

  it('multiclass: one base value per class and rows × classes × features', async () => {
    const r = await api.inference.explainOip('multi', { inputs: [{ name: 'x', shape: [2, multi.rows[0]!.length], datatype: 'FP64', data: multi.rows.slice(0, 2) }] });
    const e = r.explanations;
    expect(e.baseValue).toHaveLength(3);
    const c = e.contributions as number[][][];
    expect(c).toHaveLength(2);
    expect(c[0]).toHaveLength(3);
    c[1]![2]!.forEach((v, f) => expect(Math.abs(v - multi.contributions[1]![2]![f]!)).toBeLessThan(1e-5));
  });
});

describe('POST /v1/deployments/{name}/explain (MLflow)', () => {
  it('linear SHAP against the reference mean, for dataframe_records and CSV bodies', async () => {
    const records = linear.rows.slice(0, 3).map((r) => Object.fromEntries(linear.features.map((f, i) => [f, r[i]])));
    const r = await api.inference.explain('bc', { dataframe_records: records });
    expect(r.version).toBe(1);
    expect(r.predictions).toHaveLength(3);
    const e = r.explanations;
    expect(e.space).toBe('margin');
    expect(Math.abs((e.baseValue as number) - linear.baseValue)).toBeLessThan(1e-9);
    (e.contributions as number[][]).forEach((row, i) => row.forEach((v, f) => expect(Math.abs(v - linear.contributions[i]![f]!)).toBeLessThan(1e-9)));
    const csv = [linear.features.join(','), ...linear.rows.slice(0, 2).map((row) => row.join(','))].join('\n');
    const res = await fetch(`${url}/v1/deployments/bc/explain`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { explanations: { contributions: unknown[] } }).explanations.contributions).toHaveLength(2);
  });

  it('an ONNX forest without covers is refused until its reference data exists, then equals the brute-force values', async () => {
    const body = { instances: forest.rows.slice(0, 2) };
    const before = await post('/v1/deployments/iris/explain', body);
    expect(before.status).toBe(409);
    expect(before.body.error.message).toMatch(/reference data/);
    await t.app.monitoring.references.upload('iris', 1, fs.readFileSync(path.join(FIX, 'explain', 'forest-iris-reference.csv'), 'utf8'), 'csv');
    const after = await post('/v1/deployments/iris/explain', body);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(after.body.explanations.space).toBe('probability');
    after.body.explanations.contributions[1][0].forEach((v: number, f: number) => expect(Math.abs(v - forest.contributions[1]![0]![f]!)).toBeLessThan(1e-9));
  });

  it('a model that cannot be explained is a 501 unimplemented naming its format; bad input a 400 naming the field', async () => {
    const r = await post('/v1/deployments/remote/explain', { dataframe_records: [{ a: 1 }] });
    expect(r.status).toBe(501);
    expect(r.body.error.code).toBe('unimplemented');
    expect(r.body.error.message).toMatch(/format remote/);
    const bad = await post('/v1/deployments/bc/explain', { dataframe_records: [{ mean_radius: 'x' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/mean_radius|missing required feature/);
    expect((await post('/v1/deployments/nope/explain', { instances: [[1]] })).status).toBe(404);
  });
});

describe('global importance and the CLI', () => {
  it('GET …/importance is the mean |contribution| over the reference rows, largest first', async () => {
    const imp = await api.versions.importance('bc', 1);
    expect(imp.space).toBe('margin');
    expect(imp.rows).toBe(fs.readFileSync(path.join(FIX, 'explain', 'breast-cancer-reference.csv'), 'utf8').trim().split('\n').length - 1);
    const values = imp.features.map((f) => f.meanAbsContribution);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    // Independent check on the linear model: mean |w (x − μ)| over the reference.
    const model = JSON.parse(fs.readFileSync(path.join(FIX, 'serving', 'breast-cancer-linear.json'), 'utf8')) as { features: string[]; coefficients: number[][] };
    const ref = fs.readFileSync(path.join(FIX, 'explain', 'breast-cancer-reference.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const top = imp.features[0]!;
    const i = model.features.indexOf(top.feature);
    const mu = sum(ref.map((r) => r[i]!)) / ref.length;
    const want = sum(ref.map((r) => Math.abs(model.coefficients[0]![i]! * (r[i]! - mu)))) / ref.length;
    expect(Math.abs(top.meanAbsContribution - want)).toBeLessThan(1e-9 * Math.max(1, want));
    const none = await fetch(`${url}/api/v1/models/xgb/versions/1/importance`);
    expect(none.status).toBe(404);
  });

  it('sextant explain DEPLOYMENT --input rows.csv prints each row’s top contributions, or the API body with --json', async () => {
    const input = path.join(t.home, 'rows.csv');
    fs.writeFileSync(input, [linear.features.join(','), ...linear.rows.slice(0, 3).map((r) => r.join(','))].join('\n'));
    const table = await runCli(['explain', 'bc', '--input', input, '--top', '2'], { SEXTANT_URL: url });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ROW\s+PREDICTION\s+BASE\s+OUTPUT\s+CONTRIBUTIONS/);
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
    expect(table.stderr).toMatch(/margin space/);
    const json = await runCli(['explain', 'bc', '--input', input, '--json'], { SEXTANT_URL: url });
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { predictions: unknown[]; explanations: { contributions: number[][] } };
    expect(out.predictions).toHaveLength(3);
    out.explanations.contributions.forEach((row, r) => row.forEach((v, f) => expect(Math.abs(v - linear.contributions[r]![f]!)).toBeLessThan(1e-9)));
    const missing = await runCli(['explain', 'bc', '--input', path.join(t.home, 'nope.csv')], { SEXTANT_URL: url });
    expect(missing.code).not.toBe(0);
  });
});
