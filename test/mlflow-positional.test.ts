import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, testApp, type TestApp } from './helpers/app.js';

const FIX = path.join(import.meta.dirname, 'fixtures', 'serving');
/** sklearn's LogisticRegression on breast cancer and its answers (test/fixtures/make_serving_fixtures.py). */
const bc = (JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')) as { cases: Record<string, { rows: number[][]; probabilities: number[][] }> }).cases[
  'breast-cancer-logistic'
]!;
const who = { actor: 'test' };

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ env: { SEXTANT_BODY_LIMIT: '200000' } });
  await t.app.registry.models.create({ name: 'bc', task: 'binary-classification' }, who);
  // No signature: the model's one input is a [N, 30] tensor, so its features are named float_input_0 … 29.
  const v = await t.app.registry.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-logreg.onnx'))), { format: 'onnx', alias: 'champion' }, who);
  expect(v.signature?.inputs).toHaveLength(1);
  await t.app.serving.deployments.create({ name: 'bc', model: 'bc', alias: 'champion' }, who);
  await t.app.serving.live.refresh();
});
afterAll(async () => t?.close());

const invoke = (body: unknown) => t.server.inject({ method: 'POST', url: '/v1/deployments/bc/invocations', payload: body as object });
/** A user's own column names: spaces, non-ASCII, nothing like the tensor's. */
const columns = bc.rows[0]!.map((_, i) => `feature ${i} Ω`);

function expectSklearn(res: { statusCode: number; body: string; json(): unknown }) {
  expect(res.statusCode, res.body).toBe(200);
  const predictions = (res.json() as { predictions: Record<string, number[]>[] }).predictions;
  expect(predictions).toHaveLength(bc.rows.length);
  predictions.forEach((p, r) => {
    const probabilities = Object.values(p).find((v) => Array.isArray(v)) as number[];
    expect(probabilities[1]).toBeCloseTo(bc.probabilities[r]![1]!, 5);
  });
}

describe('MLflow bodies for a single-tensor ONNX model registered without a signature', () => {
  it('scores dataframe_split with arbitrary column names by position, as MLflow does', async () => {
    expectSklearn(await invoke({ dataframe_split: { columns, data: bc.rows } }));
  });

  it('scores dataframe_records and CSV with arbitrary names by position', async () => {
    expectSklearn(await invoke({ dataframe_records: bc.rows.map((row) => Object.fromEntries(row.map((v, i) => [columns[i], v]))) }));
    const csv = [columns.map((_, i) => `c${i}`).join(','), ...bc.rows.map((r) => r.join(','))].join('\n');
    expectSklearn(await t.server.inject({ method: 'POST', url: '/v1/deployments/bc/invocations', payload: csv, headers: { 'content-type': 'text/csv' } }));
  });

  it('still matches the made-up names by name, in any order', async () => {
    const names = bc.rows[0]!.map((_, i) => `float_input_${i}`);
    const order = [...names.keys()].reverse();
    expectSklearn(await invoke({ dataframe_split: { columns: order.map((i) => names[i]), data: bc.rows.map((r) => order.map((i) => r[i])) } }));
  });

  it('answers 400 naming both counts when the column count differs', async () => {
    for (const width of [29, 31]) {
      const data = bc.rows.slice(0, 2).map((r) => Array.from({ length: width }, (_, i) => r[i % r.length]));
      const res = await invoke({ dataframe_split: { columns: Array.from({ length: width }, (_, i) => `x${i}`), data } });
      expect(res.statusCode, res.body).toBe(400);
      const error = (res.json() as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('invalid_argument');
      expect(error.message).toMatch(new RegExp(`takes 30 columns by position .*got ${width}`));
    }
  });
});
