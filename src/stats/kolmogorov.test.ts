import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ks2samp } from './drift-tests.js';
import { kolmogorovSf } from './kolmogorov.js';

const FIX = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'stats', 'kstwo-cases.json');
const cases = JSON.parse(fs.readFileSync(FIX, 'utf8')) as {
  sf: { n: number; x: number; sf: number }[];
  ks_2samp: { a: number[]; b: number[]; statistic: number; pvalue: number }[];
};

describe("the one-sample KS distribution matches scipy's kstwo.sf", () => {
  it.each(cases.sf)('n = $n, x = $x', (c) => {
    expect(Math.abs(kolmogorovSf(c.n, c.x) - c.sf)).toBeLessThanOrEqual(1e-9 + 1e-7 * c.sf);
  });
});

describe('ks_2samp above 10,000 rows matches scipy (asymptotic p-value)', () => {
  it.each(cases.ks_2samp.map((c, i) => ({ ...c, name: `${c.a.length} × ${c.b.length} (${i})` })))('$name', (c) => {
    const r = ks2samp(c.a, c.b);
    expect(Math.abs(r.statistic - c.statistic)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(r.pValue! - c.pvalue)).toBeLessThanOrEqual(1e-6);
  });
});
