import { describe, expect, it } from 'vitest';
import type { Predictor } from '../runtime/index.js';
import { toFeatureBatch } from './infer-input.js';

const predictor = (acceptsMissing = false) => ({ features: [{ name: 'a', type: 'float64' }, { name: 'b', type: 'int64' }, { name: 's', type: 'string' }], acceptsMissing }) as unknown as Predictor;

describe('toFeatureBatch', () => {
  it('builds each column from its own feature, for short batches and for long ones that share a buffer', () => {
    for (const n of [1, 8, 9, 64]) {
      const data = Array.from({ length: n }, (_, r) => [r + 0.5, r * 2, `s${r}`]).flat();
      const batch = toFeatureBatch({ kind: 'matrix', rows: n, width: 3, data }, predictor());
      expect(batch.rows).toBe(n);
      expect(Array.from(batch.columns[0] as Float64Array)).toEqual(Array.from({ length: n }, (_, r) => r + 0.5));
      expect(Array.from(batch.columns[1] as Float64Array)).toEqual(Array.from({ length: n }, (_, r) => r * 2));
      expect(batch.columns[2]).toEqual(Array.from({ length: n }, (_, r) => `s${r}`));
    }
  });

  it('names the feature and row of a wrong value, and of a missing one for models that need every value', () => {
    const rows = (v: unknown) => Array.from({ length: 12 }, (_, r) => (r === 10 ? [1, v, 'x'] : [1, 2, 'x'])).flat();
    expect(() => toFeatureBatch({ kind: 'matrix', rows: 12, width: 3, data: rows(2.5) }, predictor())).toThrow('feature b in row 10: expected an integer, got number');
    expect(() => toFeatureBatch({ kind: 'matrix', rows: 12, width: 3, data: rows(null) }, predictor())).toThrow('feature b is missing in row 10');
    expect(Array.from(toFeatureBatch({ kind: 'matrix', rows: 12, width: 3, data: rows(null) }, predictor(true)).columns[1] as Float64Array)[10]).toBeNaN();
  });
});
