import { describe, expect, it } from 'vitest';
import { defaultTest, driftReport } from './drift-report.js';

let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const normal = (mu: number, n: number) => Array.from({ length: n }, () => mu + Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));

describe('default test choice (as Evidently)', () => {
  it('picks by reference size, kind and distinct values', () => {
    const small = normal(0, 500);
    const big = normal(0, 2000);
    expect(defaultTest(small, small, 'num')).toBe('ks');
    expect(defaultTest([1, 2, 3, 1, 2], [1, 2, 3], 'num')).toBe('chisquare');
    expect(defaultTest([0, 1, 1, 0], [1, 0], 'num')).toBe('z');
    expect(defaultTest(['a', 'b', 'c'], ['a'], 'cat')).toBe('chisquare');
    expect(defaultTest(['a', 'b'], ['a'], 'cat')).toBe('z');
    expect(defaultTest(big, big, 'num')).toBe('wasserstein');
    expect(defaultTest(big.map((x) => Math.round(x) % 3), big, 'num')).toBe('wasserstein');
    expect(defaultTest(Array(2000).fill('a'), ['b'], 'cat')).toBe('jensenshannon');
  });
});

describe('driftReport', () => {
  it('flags drifted features, the share, and dataset drift at 0.5 by default', () => {
    const b = normal(0, 400);
    const reference = { a: normal(0, 400), b, c: Array.from({ length: 400 }, (_, i) => ['x', 'y', 'z'][i % 3]!) };
    // b's current sample is drawn from its own reference: no drift by construction.
    const current = { a: normal(1, 300), b: b.filter((_, i) => i % 4 !== 0), c: Array.from({ length: 300 }, (_, i) => ['x', 'y', 'z'][i % 3]!), extra: [1, 2] };
    const r = driftReport(reference, current);
    expect(r.features.map((f) => [f.feature, f.kind, f.test, f.drifted])).toEqual([
      ['a', 'num', 'ks', true],
      ['b', 'num', 'ks', false],
      ['c', 'cat', 'chisquare', false],
    ]);
    expect(r.driftedShare).toBeCloseTo(1 / 3);
    expect(r.drifted).toBe(false);
    expect(driftReport(reference, current, { driftShare: 0.3 }).drifted).toBe(true);
    const psi = driftReport(reference, current, { tests: { a: 'psi' }, thresholds: { a: 10 } }).features[0]!;
    expect(psi).toMatchObject({ test: 'psi', threshold: 10, drifted: false, pValue: null });
  });

  it('drops missing values before testing and treats mixed columns as categories', () => {
    const r = driftReport({ a: [1, null, 2, 3, NaN, 4, 5, 6, 7] }, { a: [1, 2, 3, null, 4, 5, 6, 7, 8] });
    expect(r.features[0]!.test).toBe('ks');
    expect(r.features[0]!.statistic).toBeGreaterThan(0);
    expect(driftReport({ a: ['1', 2, 3] }, { a: [1, 2, 3] }).features[0]!.kind).toBe('cat');
  });

  it('handles bad input with reasons instead of crashes: all missing, absent columns, single rows, constants, mixed types', () => {
    const r = driftReport(
      { empty: [null, NaN, null], gone: [1, 2, 3], one: [1, 2, 3, 4, 5, 6, 7], constant: [3, 3, 3, 3], mixed: [1, 2, 'three', 4], forced: [1, 'x'] },
      { empty: [1, 2, 3], one: [9], constant: [3, 3, 3], mixed: [1, 2, 3, 4], forced: [1, 2] },
      { kinds: { forced: 'num' }, tests: { forced: 'ks' } },
    );
    expect(r.skipped).toEqual([
      { feature: 'empty', reason: 'no values in the reference data (all missing or infinite)' },
      { feature: 'gone', reason: 'not in the current data' },
      { feature: 'forced', reason: 'ks needs numbers, and the column holds other values too' },
    ]);
    const byName = Object.fromEntries(r.features.map((f) => [f.feature, f]));
    expect(byName.one).toMatchObject({ test: 'ks', statistic: 1 });
    expect(byName.one!.pValue).toBeGreaterThan(0);
    expect(byName.constant).toMatchObject({ test: 'z', pValue: 1, drifted: false });
    expect(byName.mixed!.kind).toBe('cat');
    // A category absent from the reference gives an infinite chi-squared statistic (null in JSON), p = 0.
    expect(byName.mixed).toMatchObject({ test: 'chisquare', statistic: Infinity, pValue: 0, drifted: true });
  });
});

describe('tests that cannot run on the data', () => {
  it('are skipped with the reason, as Evidently raises', () => {
    const r = driftReport(
      { bin: ['a', 'b', 'a', 'a'], few: [1, 2, 3, 4], flat: [1, 1, 1, 1, 1, 1, 2] },
      { bin: ['a', 'b', 'b'], few: [1, 2, 3], flat: [1, 1, 1, 1, 1, 1, 1] },
      { tests: { bin: 'fisher_exact', few: 'es', flat: 'es' } },
    );
    expect(r.features).toEqual([]);
    expect(r.skipped).toEqual([
      { feature: 'bin', reason: 'fisher_exact needs reference and current samples of equal length' },
      { feature: 'few', reason: 'es needs at least 5 values on each side' },
      { feature: 'flat', reason: 'es: the interquartile range of the data is zero' },
    ]);
  });
});
