import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPredictor } from './load-predictor.js';
import type { FeatureBatch, Predictor } from './predictor.js';
import type { Explanation } from './explanation.js';

const FIX = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures');
const EXPLAIN = path.join(FIX, 'explain');
const expected = JSON.parse(fs.readFileSync(path.join(EXPLAIN, 'expected.json'), 'utf8'));

interface Case {
  model?: string;
  format?: 'onnx' | 'sextant-linear';
  rows: (number | null)[][];
  reference?: string;
  baseValue: number | number[];
  contributions: number[][] | number[][][];
  margin?: number[] | number[][];
  space?: string;
}

const batchOf = (rows: (number | null)[][]): FeatureBatch => ({
  rows: rows.length,
  columns: rows[0]!.map((_, f) => Float64Array.from(rows, (r) => r[f] ?? Number.NaN)),
});

function readCsv(file: string): FeatureBatch {
  const lines = fs.readFileSync(path.join(EXPLAIN, file), 'utf8').trim().split('\n').slice(1);
  return batchOf(lines.map((l) => l.split(',').map(Number)));
}

/** |a − b| ≤ tol × max(1, |b|) element by element, for nested lists. */
function close(actual: unknown, wanted: unknown, tol: number, at = ''): void {
  if (Array.isArray(wanted)) {
    expect((actual as unknown[]).length, at).toBe(wanted.length);
    wanted.forEach((w, i) => close((actual as unknown[])[i], w, tol, `${at}[${i}]`));
    return;
  }
  const a = actual as number;
  const b = wanted as number;
  expect(Math.abs(a - b), `${at}: ${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
}

/** baseValue + Σ contributions per row (and class). */
function totals(e: Explanation): number[] | number[][] {
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  if (typeof e.baseValue === 'number') return (e.contributions as number[][]).map((r) => (e.baseValue as number) + sum(r));
  return (e.contributions as number[][][]).map((r) => r.map((c, j) => (e.baseValue as number[])[j]! + sum(c)));
}

async function load(format: 'onnx' | 'sextant-linear' | 'xgboost-json', file: string): Promise<Predictor> {
  return loadPredictor(format, fs.readFileSync(file), null);
}

describe('TreeSHAP on xgboost-json equals XGBoost pred_contribs', () => {
  it.each(Object.entries(expected.xgboost_cases as Record<string, Case>))('%s', async (_, c) => {
    const p = await load('xgboost-json', path.join(FIX, 'serving', c.model!));
    const e = p.explainer!().explain(batchOf(c.rows), null);
    expect(e.space).toBe(_ === 'xgb-regression' ? 'raw' : 'margin');
    // XGBoost computes in float32: 1e-5 relative to the value's size (absolute below 1).
    close(e.baseValue, c.baseValue, 1e-5);
    close(e.contributions, c.contributions, 1e-5);
    close(totals(e), c.margin, 1e-5);
  });
});

describe('TreeSHAP on ONNX TreeEnsemble graphs equals brute-force Shapley values', () => {
  it.each(Object.entries(expected.onnx_tree_cases as Record<string, Case>))('%s', async (name, c) => {
    const p = await load('onnx', path.join(EXPLAIN, c.model ?? `${name}.onnx`));
    const background = c.reference ? readCsv(c.reference) : null;
    const e = p.explainer!().explain(batchOf(c.rows), background);
    expect(e.space).toBe(c.space);
    close(e.baseValue, c.baseValue, 1e-9);
    close(e.contributions, c.contributions, 1e-9);
    // And they add up to what onnxruntime answers, in the explanation's space.
    const out = await p.predict(batchOf(c.rows));
    const served = out.find((o) => o.name === 'probabilities' || o.name === 'variable')!.data as number[];
    const t = totals(e);
    if (c.space === 'raw') close(t, served, 1e-5);
    else if (c.space === 'probability') close(t, c.rows.map((_, r) => served.slice(r * 3, r * 3 + 3)), 1e-5);
    else if (typeof e.baseValue === 'number') close((t as number[]).map((m) => 1 / (1 + Math.exp(-m))), c.rows.map((_, r) => served[r * 2 + 1]), 1e-5);
    else {
      const k = (e.baseValue as number[]).length;
      const softmax = (m: number[]) => m.map((x) => Math.exp(x) / m.reduce((s, y) => s + Math.exp(y), 0));
      close((t as number[][]).map(softmax), c.rows.map((_, r) => served.slice(r * k, (r + 1) * k)), 1e-5);
    }
  });

  it('an ONNX forest without covers needs the reference data', async () => {
    const p = await load('onnx', path.join(EXPLAIN, 'forest-iris.onnx'));
    expect(() => p.explainer!().explain(batchOf([[5, 3, 1, 0.2]]), null)).toThrow(/reference data/);
  });
});

describe('linear SHAP against the reference mean equals numpy', () => {
  it.each(Object.entries(expected.linear_cases as Record<string, Case>))('%s', async (_, c) => {
    const p = await load(c.format!, path.join(EXPLAIN, c.model!));
    const e = p.explainer!().explain(batchOf(c.rows), readCsv(c.reference!));
    expect(e.space).toBe(c.space);
    close(e.baseValue, c.baseValue, 1e-9);
    close(e.contributions, c.contributions, 1e-9);
    close(totals(e), c.margin, 1e-9);
  });
});

describe('models that cannot be explained', () => {
  it('a remote model has no explainer, and an ONNX graph of other operators is unimplemented naming it', async () => {
    const remote = await loadPredictor('remote', Buffer.from(JSON.stringify({ url: 'http://127.0.0.1:9', protocol: 'mlflow', features: ['a'] })), null);
    expect(remote.explainer).toBeUndefined();
    const perFeature = await load('onnx', path.join(FIX, 'onnx', 'per-feature.onnx'));
    expect(() => perFeature.explainer!()).toThrow(expect.objectContaining({ code: 'unimplemented', message: expect.stringMatching(/format onnx: the graph has a Mul node/) }));
  });
});
