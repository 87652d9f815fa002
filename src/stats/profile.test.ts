import { describe, expect, it } from 'vitest';
import { KllSketch } from './kll-sketch.js';
import { CategoryProfile, NumericProfile } from './profile.js';

let seed = 12345;
const rand = () => {
  seed = (seed * 48271) % 2147483647;
  return seed / 2147483647;
};
const sample = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

/** Rank error of a returned value against the exact sorted data. */
function rankError(sorted: number[], value: number, q: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  let upper = lo;
  while (upper < sorted.length && sorted[upper] === value) upper++;
  const rankLo = lo / sorted.length;
  const rankHi = upper / sorted.length;
  return q < rankLo ? rankLo - q : q > rankHi ? q - rankHi : 0;
}

describe('NumericProfile', () => {
  const data = sample(100_000, () => -Math.log(1 - rand()) * (rand() < 0.01 ? 1000 : 1));

  it('merges count, mean and variance exactly and keeps quantiles within 1.33 % rank error', () => {
    const whole = new NumericProfile();
    const parts = [new NumericProfile(240, 2), new NumericProfile(240, 3), new NumericProfile(240, 4), new NumericProfile(240, 5)];
    data.forEach((x, i) => {
      whole.add(x);
      parts[i % 4]!.add(x);
    });
    whole.add(null);
    parts[0]!.add(Number.NaN);
    const merged = parts.reduce((a, b) => (a.merge(b), a));
    const mean = data.reduce((s, x) => s + x, 0) / data.length;
    const variance = data.reduce((s, x) => s + (x - mean) ** 2, 0) / data.length;
    for (const p of [whole, merged]) {
      expect(p.count).toBe(100_000);
      expect(p.missing).toBe(1);
      expect(Math.abs(p.mean - mean) / mean).toBeLessThan(1e-12);
      expect(Math.abs(p.variance - variance) / variance).toBeLessThan(1e-9);
      expect(p.min).toBe(Math.min(...data));
      expect(p.max).toBe(Math.max(...data));
    }
    const sorted = [...data].sort((a, b) => a - b);
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
      expect(rankError(sorted, whole.quantile(q), q)).toBeLessThanOrEqual(0.0133);
      expect(rankError(sorted, merged.quantile(q), q)).toBeLessThanOrEqual(0.0133);
    }
  });

  it('estimates a histogram from the sketch within its rank bound', () => {
    const u = sample(50_000, () => rand());
    const p = new NumericProfile();
    u.forEach((x) => p.add(x));
    const h = p.histogram(10);
    expect(h.edges).toHaveLength(11);
    expect(h.edges[0]).toBe(Math.min(...u));
    expect(h.edges[10]).toBe(Math.max(...u));
    h.counts.forEach((c, i) => {
      const exact = u.filter((x) => x >= h.edges[i]! && (i === 9 ? x <= h.edges[10]! : x < h.edges[i + 1]!)).length;
      // Each bin boundary carries at most the sketch's rank error (1.33 % of the count).
      expect(Math.abs(c - exact)).toBeLessThanOrEqual(2 * 0.0133 * u.length + 1);
    });
    expect(new NumericProfile().histogram()).toEqual({ edges: [], counts: [] });
  });

  it('is reproducible for the same seed and stays small', () => {
    const a = new NumericProfile(240, 9);
    const b = new NumericProfile(240, 9);
    for (const x of data) {
      a.add(x);
      b.add(x);
    }
    expect(a.quantile(0.37)).toBe(b.quantile(0.37));
    // At most the entry level's 4,096 items, about 3k above it, and 8 per level below k's reach.
    const levels = a.sketch.toJSON().levels;
    expect(levels.flat().length).toBeLessThanOrEqual(4096 + 3 * 240 + 8 * levels.length);
  });

  it('keeps every level but the entry one sorted through updates, merges and a JSON round trip (compaction relies on it)', () => {
    const sortedButEntry = (j: ReturnType<KllSketch['toJSON']>) => j.levels.every((l, h) => h === j.bottom || l.every((v, i) => i === 0 || l[i - 1]! <= v));
    const a = new NumericProfile(240, 3);
    const b = new NumericProfile(240, 4);
    data.forEach((x, i) => (i % 3 === 0 ? b : a).add(x));
    expect(a.sketch.toJSON().levels.length).toBeGreaterThan(5);
    // a has seen 66,666 items, past the sampler's start (32,256 at k = 240) and its first doubling.
    expect(a.sketch.toJSON().bottom).toBe(2);
    expect(b.sketch.toJSON().bottom).toBe(1);
    expect(sortedButEntry(a.sketch.toJSON()) && sortedButEntry(b.sketch.toJSON())).toBe(true);
    a.merge(b);
    expect(a.sketch.toJSON().bottom).toBe(2);
    expect(sortedButEntry(a.sketch.toJSON())).toBe(true);
    const json = a.sketch.toJSON();
    const shuffled = { ...json, levels: json.levels.map((l) => [...l].reverse()) };
    const back = KllSketch.fromJSON(shuffled);
    expect(sortedButEntry(back.toJSON())).toBe(true);
    expect(back.quantile(0.5)).toBe(a.quantile(0.5));
  });
});

describe('KllSketch on long streams (the sampler below the levels)', () => {
  /** Largest |estimated − exact| rank over the retained items, as a share of the count. */
  function worstRankError(sketch: KllSketch, sorted: Float64Array): number {
    const items = sketch.weighted();
    const total = items.reduce((s, [, w]) => s + w, 0);
    let cum = 0;
    let worst = 0;
    for (const [v, w] of items) {
      cum += w;
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! <= v) lo = mid + 1;
        else hi = mid;
      }
      worst = Math.max(worst, Math.abs(cum / total - lo / sorted.length));
    }
    return worst;
  }

  const n = 600_000;
  const stream = Float64Array.from(sample(n, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())));
  const sorted = stream.slice().sort();

  it('enters items in blocks of 2^s once the count passes 0.56 k², keeps every weight, and stays within 1.33 % over all quantiles', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const s = new KllSketch(240, seed);
      for (const x of stream) s.update(x);
      // 600,000 / 32,256 = 18.6 doublings past the start: 2^4 < 18.6 < 2^5, so blocks of 2^5.
      expect(s.toJSON().bottom).toBe(5);
      const weight = s.weighted().reduce((t, [, w]) => t + w, 0);
      expect(Math.abs(weight - n)).toBeLessThan(2 ** 5);
      expect(s.count).toBe(n);
      expect(s.min).toBe(sorted[0]);
      expect(s.max).toBe(sorted[n - 1]);
      expect(worstRankError(s, sorted)).toBeLessThanOrEqual(0.0133);
    }
  });

  it('answers quantiles as a walk through the sorted weighted items would, ties and the unsorted entry level included', () => {
    const s = new KllSketch(240, 21);
    for (let i = 0; i < 150_000; i++) s.update(Math.floor(rand() * 500) / 4);
    s.update(1e9);
    const items = s.weighted();
    const total = items.reduce((t, [, w]) => t + w, 0);
    const walk = (q: number) => {
      let cum = 0;
      for (const [v, w] of items) if ((cum += w) >= q * total) return v;
      return s.max;
    };
    // Ranks that land exactly on an item's running weight, where "reaches" and "passes" differ.
    let cum = 0;
    const exact = items.map(([, w]) => (cum += w) / total).filter((_, i) => i % 97 === 5);
    for (const q of [1e-6, 0.001, 0.05, 0.25, 0.5, 0.5001, 0.75, 0.95, 0.999999, ...exact]) expect(s.quantile(q)).toBe(walk(q));
    expect(s.quantile(0)).toBe(0);
    expect(s.quantile(1)).toBe(1e9);
    expect(new KllSketch().quantile(0.5)).toBeNaN();
  });

  it('keeps the bound when the stream arrives sorted, and when sampled sketches are merged', () => {
    const ordered = new KllSketch(240, 7);
    for (const x of sorted) ordered.update(x);
    expect(worstRankError(ordered, sorted)).toBeLessThanOrEqual(0.0133);
    const parts = [0, 1, 2].map((i) => new KllSketch(240, 10 + i));
    stream.forEach((x, i) => parts[i % 3]!.update(x));
    expect(parts.map((p) => p.toJSON().bottom)).toEqual([3, 3, 3]);
    const merged = parts.reduce((a, b) => (a.merge(b), a));
    expect(merged.count).toBe(n);
    expect(merged.toJSON().bottom).toBe(5);
    expect(worstRankError(merged, sorted)).toBeLessThanOrEqual(0.0133);
  });
});

describe('CategoryProfile', () => {
  it('keeps every frequent category with counts low by at most count / (capacity + 1), also merged', () => {
    const values = sample(50_000, () => {
      const u = rand();
      return u < 0.3 ? 'a' : u < 0.5 ? 'b' : u < 0.6 ? 'c' : `rare-${Math.floor(rand() * 5000)}`;
    });
    const exact = new Map<string, number>();
    for (const v of values) exact.set(v, (exact.get(v) ?? 0) + 1);
    const whole = new CategoryProfile(50);
    const left = new CategoryProfile(50);
    const right = new CategoryProfile(50);
    values.forEach((v, i) => {
      whole.add(v);
      (i % 2 ? left : right).add(v);
    });
    left.merge(right);
    for (const p of [whole, left]) {
      const bound = p.count / 51;
      expect(p.error).toBeLessThanOrEqual(bound);
      const top = p.top();
      expect(top.slice(0, 3).map((t) => t.value)).toEqual(['a', 'b', 'c']);
      for (const t of top) {
        expect(t.count).toBeLessThanOrEqual(exact.get(t.value)!);
        expect(exact.get(t.value)! - t.count).toBeLessThanOrEqual(bound);
      }
    }
  });
});
