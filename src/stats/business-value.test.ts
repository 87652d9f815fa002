import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { band1000, binaryConfusion, confusionValue, estimateBinaryValue, estimateMulticlassValue, multiclassValue, per1000, regressionValue, Z95 } from './business-value.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../test/fixtures/stats/value-cases.json');
const cases = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
const V = { tp: 120, fp: -15, fn: -60, tn: 0 };

describe('business value', () => {
  it('values a confusion matrix by hand: 2 tp, 1 fp, 1 fn, 1 tn', () => {
    const c = binaryConfusion([1, 1, 0, 1, 0], [1, 1, 1, 0, 0]);
    expect(c).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1 });
    // 2·120 − 15 − 60 + 0 = 165 over 5 rows: 33,000 per 1,000.
    expect(confusionValue(c, V)).toBe(165);
    expect(per1000(165, 5)).toBe(33_000);
    expect(per1000(165, 0)).toBeNull();
  });

  it('matches scikit-learn confusion_matrix and numpy on the fixture (binary)', () => {
    const b = cases.binary;
    const c = binaryConfusion(b.y, b.pred);
    expect(c).toEqual(b.confusion);
    expect(confusionValue(c, b.values)).toBeCloseTo(b.total, 9);
    expect(per1000(confusionValue(c, b.values), b.y.length)).toBeCloseTo(b.per1000, 9);
  });

  it('matches multilabel_confusion_matrix one-vs-rest per valued class (multiclass)', () => {
    const m = cases.multiclass;
    expect(multiclassValue(m.y, m.pred, m.classes)).toBeCloseTo(m.total, 9);
    // By hand: rows (cat→cat), (dog→cat), (cat→dog): cat tp 1, fp 1, fn 1; dog fp 1, fn 1, tn 1.
    expect(multiclassValue(['cat', 'dog', 'cat'], ['cat', 'cat', 'dog'], { cat: V, dog: { tp: 0, fp: -1, fn: -2, tn: 3 } })).toBe(120 - 15 - 60 - 1 - 2 + 3);
  });

  it('costs absolute errors (regression) as numpy does', () => {
    const r = cases.regression;
    expect(regressionValue(r.y, r.pred, r.cost)).toBeCloseTo(r.total, 7);
    expect(regressionValue([1, 2, 3], [2, 2, 1], 10)).toBe(-30);
  });

  it('estimates the value with CBPE, its variance and its band, as numpy does', () => {
    const b = cases.binary;
    const e = estimateBinaryValue(b.score, b.values);
    expect(e.total).toBeCloseTo(b.expected, 8);
    expect(e.variance).toBeCloseTo(b.variance, 6);
    // Certain scores: no variance. One row at p = 0.8 predicted positive: 0.8·120 + 0.2·(−15) = 93, variance 0.16·135².
    expect(estimateBinaryValue([1, 0], V)).toEqual({ total: 120, variance: 0 });
    const one = estimateBinaryValue([0.8], V);
    expect(one.total).toBeCloseTo(93, 12);
    expect(one.variance).toBeCloseTo(0.16 * 135 ** 2, 9);
    const band = band1000(one, 1);
    expect(band.per1000).toBeCloseTo(93_000, 9);
    expect(band.high - band.per1000).toBeCloseTo(Z95 * 0.4 * 135 * 1000, 6);
  });

  it('estimates a multiclass value one-vs-rest from class probabilities, with the exact variance of each row', () => {
    const cat = { tp: 10, fp: -2, fn: -5, tn: 1 };
    // One row predicted cat with probabilities cat 0.6, dog 0.3, fox 0.1; only cat is valued.
    // True cat: tp 10 (0.6); otherwise fp −2 (0.4): mean 5.2, E[f²] = 60 + 1.6 = 61.6, variance 61.6 − 27.04 = 34.56.
    const one = estimateMulticlassValue([[0.6, 0.3, 0.1]], ['cat'], { cat }, { cat: 0 });
    expect(one.total).toBeCloseTo(5.2, 12);
    expect(one.variance).toBeCloseTo(34.56, 10);
    // Two valued classes on a row predicted dog: true cat gives cat fn −5 + dog fp −1 = −6 (0.2), true dog gives cat tn 1 + dog tp 7 = 8 (0.7), true fox 1 − 1 = 0 (0.1).
    const dog = { tp: 7, fp: -1, fn: -3, tn: 0 };
    const two = estimateMulticlassValue([[0.2, 0.7, 0.1]], ['dog'], { cat, dog }, { cat: 0, dog: 1 });
    const mean = 0.2 * -6 + 0.7 * 8;
    expect(two.total).toBeCloseTo(mean, 12);
    expect(two.variance).toBeCloseTo(0.2 * 36 + 0.7 * 64 - mean * mean, 10);
    // With two classes it is the binary estimate (class 1 positive).
    const p = [0.8, 0.3, 0.55];
    const multi = estimateMulticlassValue(p.map((x) => [1 - x, x]), p.map((x) => (x > 0.5 ? '1' : '0')), { '1': V }, { '1': 1 });
    const binary = estimateBinaryValue(p, V);
    expect(multi.total).toBeCloseTo(binary.total, 12);
    expect(multi.variance).toBeCloseTo(binary.variance, 9);
  });
});
