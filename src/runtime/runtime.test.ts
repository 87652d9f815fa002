import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPredictor } from './load-predictor.js';
import type { FeatureBatch, OutputTensor } from './predictor.js';

const DIR = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'serving');
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
  cases: Record<string, { features: string[]; rows: (number | null)[][]; label?: number[]; probabilities?: number[][]; prediction?: number[] }>;
};
const artifact = (name: string) => new Uint8Array(fs.readFileSync(path.join(DIR, name)));

function batchOf(rows: (number | null)[][]): FeatureBatch {
  const k = rows[0]!.length;
  return { rows: rows.length, columns: Array.from({ length: k }, (_, c) => Float64Array.from(rows, (r) => (r[c] === null ? Number.NaN : r[c]!))) };
}

const out = (tensors: OutputTensor[], name: string) => tensors.find((t) => t.name === name)!;

function expectClose(actual: number[], want: number[], tol: number) {
  expect(actual).toHaveLength(want.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - want[i]!)));
  expect(worst, `max abs error ${worst}`).toBeLessThanOrEqual(tol);
}

// Each case: artifact, format, the reference output to match, and the tolerance the format allows.
const CASES = [
  { name: 'breast-cancer-logistic', file: 'breast-cancer-linear.json', format: 'sextant-linear', tol: 1e-9 },
  { name: 'breast-cancer-logistic', file: 'breast-cancer-logreg.onnx', format: 'onnx', tol: 1e-6 },
  { name: 'wine-softmax', file: 'wine-linear.json', format: 'sextant-linear', tol: 1e-9 },
  { name: 'wine-softmax', file: 'wine-logreg.onnx', format: 'onnx', tol: 1e-6 },
  { name: 'diabetes-regression', file: 'diabetes-linear.json', format: 'sextant-linear', tol: 1e-9 },
  { name: 'diabetes-regression', file: 'diabetes-linreg.onnx', format: 'onnx', tol: 1e-4 },
  { name: 'diabetes-forest', file: 'diabetes-forest.onnx', format: 'onnx', tol: 1e-4 },
  { name: 'xgb-binary', file: 'xgb-binary.json', format: 'xgboost-json', tol: 1e-6 },
  { name: 'xgb-multi', file: 'xgb-multi.json', format: 'xgboost-json', tol: 1e-6 },
  { name: 'xgb-regression', file: 'xgb-regression.json', format: 'xgboost-json', tol: 1e-5 },
] as const;

describe('runtimes match the reference library on committed fixtures', () => {
  it.each(CASES)('$format $name ($file)', async ({ name, file, format, tol }) => {
    const want = expected.cases[name]!;
    const p = await loadPredictor(format, artifact(file), null);
    const result = await p.predict(batchOf(want.rows));
    if (want.prediction) {
      const pred = result[0]!;
      expectClose(pred.data as number[], want.prediction, tol);
    } else {
      expect(out(result, 'label').data).toEqual(want.label);
      expectClose(out(result, 'probabilities').data as number[], want.probabilities!.flat(), tol);
      expect(out(result, 'probabilities').shape).toEqual([want.rows.length, want.probabilities![0]!.length]);
    }
    await p.release();
  });

  it('names sextant-linear features and refuses malformed artifacts clearly', async () => {
    const p = await loadPredictor('sextant-linear', artifact('breast-cancer-linear.json'), null);
    expect(p.features[0]).toEqual({ name: 'mean_radius', type: 'double' });
    const bad = new TextEncoder().encode(JSON.stringify({ format: 'sextant-linear', features: ['a', 'b'], link: 'logistic', classes: [0, 1], coefficients: [[1]], intercept: [0] }));
    await expect(loadPredictor('sextant-linear', bad, null)).rejects.toThrow(/coefficients.0 has 1 values for 2 features/);
    await expect(loadPredictor('xgboost-json', new TextEncoder().encode('{"x": 1}'), null)).rejects.toThrow(/no "learner"/);
    await expect(loadPredictor('onnx', new TextEncoder().encode('nope'), null)).rejects.toThrow(/onnxruntime cannot load/);
  });

  it('reads the XGBoost 2.x layout (bracketed base_score, iteration_indptr, boolean default_left) like 1.7', async () => {
    // Rewritten from the 1.7 fixture the way 2.x writes these fields; the trees are unchanged.
    const doc = JSON.parse(new TextDecoder().decode(artifact('xgb-binary.json')));
    const base = doc.learner.learner_model_param.base_score;
    doc.version = [2, 1, 3];
    doc.learner.learner_model_param.base_score = `[${base}]`;
    doc.learner.gradient_booster.model.iteration_indptr = doc.learner.gradient_booster.model.trees.map((_: unknown, i: number) => i);
    for (const t of doc.learner.gradient_booster.model.trees) t.default_left = t.default_left.map((x: number) => x === 1);
    const want = expected.cases['xgb-binary']!;
    const p = await loadPredictor('xgboost-json', new TextEncoder().encode(JSON.stringify(doc)), null);
    const probs = out(await p.predict(batchOf(want.rows)), 'probabilities').data as number[];
    expectClose(probs, want.probabilities!.flat(), 1e-6);
  });

  it('routes missing values in XGBoost by default_left (rows with NaN are in the fixture)', async () => {
    const want = expected.cases['xgb-binary']!;
    expect(want.rows.some((r) => r.includes(null))).toBe(true);
    const p = await loadPredictor('xgboost-json', artifact('xgb-binary.json'), null);
    expect(p.acceptsMissing).toBe(true);
  });

  it('takes feature names for a 2-D ONNX input from a signature that lists one per column', async () => {
    const want = expected.cases['breast-cancer-logistic']!;
    const sig = { inputs: want.features.map((name) => ({ name, type: 'float' as const })), outputs: [] };
    const p = await loadPredictor('onnx', artifact('breast-cancer-logreg.onnx'), sig);
    expect(p.features.map((f) => f.name)).toEqual(want.features);
    expect(p.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
    const unnamed = await loadPredictor('onnx', artifact('breast-cancer-logreg.onnx'), null);
    expect(unnamed.features[3]!.name).toBe('float_input_3');
  });
});
