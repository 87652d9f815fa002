import { describe, expect, it } from 'vitest';
import { addTo, type Histogram, mergeInto, quantile } from './latency-histogram.js';

describe('latency histogram', () => {
  it('gives quantiles within 5 % of the exact value, also after merging parts', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 20_000 }, () => 0.2 + -Math.log(1 - rand()) * 3);
    const parts: Histogram[] = [new Map(), new Map()];
    values.forEach((v, i) => addTo(parts[i % 2]!, v));
    const merged: Histogram = new Map();
    for (const p of parts) mergeInto(merged, Object.fromEntries(p));
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const approx = quantile(merged, q);
      expect(approx).toBeGreaterThanOrEqual(exact);
      expect(approx / exact).toBeLessThanOrEqual(1.05);
    }
  });
});
