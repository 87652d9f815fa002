import { describe, expect, it } from 'vitest';
import { driftReport } from './drift-report.js';
import { DriftSide, streamDriftReport } from './drift-stream.js';

let seed = 3;
const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

const fill = (side: DriftSide, rows: number, shift: number) => {
  const cols: Record<string, (number | string | null)[]> = { x: [], c: [], y: [] };
  for (let i = 0; i < rows; i++) {
    const row = { x: gauss() + shift, c: ['a', 'b', 'c'][Math.floor(rand() * 3)]!, y: i % 17 === 0 ? null : i % 29 === 0 ? Infinity : gauss() };
    side.push(row);
    cols.x!.push(row.x);
    cols.c!.push(row.c);
    cols.y!.push(row.y);
  }
  return cols;
};

describe('streamed drift report', () => {
  it('within the row bound is exactly driftReport on the same columns', () => {
    const ref = new DriftSide(10_000);
    const cur = new DriftSide(10_000);
    const r = fill(ref, 3000, 0);
    const c = fill(cur, 2000, 0.2);
    const streamed = streamDriftReport(ref, cur);
    const direct = driftReport(r, c);
    expect(streamed.mode).toBe('exact');
    expect(streamed.features.map(({ errorBound, ...f }) => (expect(errorBound).toBe(0), f))).toEqual(direct.features);
    expect(streamed.drifted).toBe(direct.drifted);
  });

  it('beyond it keeps memory flat: stored values are freed and the sketch holds a bounded number of items', () => {
    const side = new DriftSide(1000);
    fill(side, 1000, 0);
    expect(side.columns.get('x')!.exact).toBe(true);
    fill(side, 200_000, 0);
    const x = side.columns.get('x')!;
    expect(x.exact).toBe(false);
    expect(() => x.values()).toThrow(/sketched/);
    const held = (s: typeof x) => s.kll!.items().reduce((n, l) => n + l.values.length, 0);
    const before = held(x);
    fill(side, 200_000, 0);
    // Twice the rows, and the sketch holds no more than about the same number of items.
    expect(held(x)).toBeLessThan(before * 1.3);
    expect(held(x)).toBeLessThan(10_000);
    expect(x.counts).toBeNull();
    expect(side.columns.get('c')!.counts!.size).toBe(3);
  });
});
