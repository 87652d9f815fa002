import { describe, expect, it } from 'vitest';
import { domainClassifierDrift, type FitScore } from './domain-classifier.js';
import { multivariateDrift } from './multivariate-drift.js';

let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const normal = (mu: number, n: number) => Array.from({ length: n }, () => mu + Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));

/** A stand-in classifier: distance to the training reference mean minus distance to the current mean. */
const centroid: FitScore = async (train, test) => {
  const mean = (label: number) => train.columns.map((c) => c.filter((_, i) => train.labels[i] === label).reduce((a, b) => a + b, 0) / train.labels.filter((y) => y === label).length);
  const m0 = mean(0);
  const m1 = mean(1);
  return Float64Array.from({ length: test[0]!.length }, (_, i) => test.reduce((s, c, j) => s + (c[i]! - m0[j]!) ** 2 - (c[i]! - m1[j]!) ** 2, 0));
};

describe('domain classifier', () => {
  it('scores indistinguishable data near 0.5 and a shifted current near 1, with stratified folds', async () => {
    const same = await domainClassifierDrift({ a: normal(0, 400), b: normal(0, 400) }, { a: normal(0, 300), b: normal(0, 300) }, centroid);
    expect(same).toMatchObject({ method: 'domain_classifier', folds: 5, threshold: 0.65, drifted: false, rows: { reference: 400, current: 300 } });
    expect(Math.abs(same.auc - 0.5)).toBeLessThan(0.1);
    const shifted = await domainClassifierDrift({ a: normal(0, 400), b: normal(0, 400) }, { a: normal(2, 300), b: normal(0, 300) }, centroid);
    expect(shifted.auc).toBeGreaterThan(0.85);
    expect(shifted.drifted).toBe(true);
  });

  it('encodes categories by their reference share and caps the rows per side', async () => {
    const ref = { c: Array.from({ length: 500 }, (_, i) => ['x', 'y'][i % 2]!) };
    const cur = { c: Array.from({ length: 500 }, (_, i) => ['x', 'z'][i % 2]!) };
    const r = await domainClassifierDrift(ref, cur, centroid, { maxRows: 100 });
    expect(r.rows).toEqual({ reference: 100, current: 100 });
    expect(r.auc).toBeGreaterThan(0.7);
    await expect(domainClassifierDrift({ a: [1, 2] }, { a: [1, 2] }, centroid)).rejects.toThrow(/at least 5 rows/);
  });

  it('runs with data reconstruction as one multivariate report, skipping what cannot run with the reason', async () => {
    const r = await multivariateDrift({ a: normal(0, 200), b: normal(0, 200) }, { a: normal(0, 3), b: normal(0, 3) }, centroid);
    expect(r.reconstruction?.method).toBe('data_reconstruction');
    expect(r.domainClassifier).toBeNull();
    expect(r.skipped).toEqual([{ method: 'domain_classifier', reason: 'the domain classifier needs at least 5 rows on each side' }]);
  });
});
