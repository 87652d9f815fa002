import { KllSketch } from './kll-sketch.js';

/** Running statistics of one numeric feature; two profiles merge exactly (counts, moments) or within the sketch's bound (quantiles). */
export class NumericProfile {
  count = 0;
  missing = 0;
  mean = 0;
  /** Sum of squared deviations from the mean (Welford), so variance = m2 / count. */
  m2 = 0;
  readonly sketch: KllSketch;

  constructor(k = 240, seed = 1) {
    this.sketch = new KllSketch(k, seed);
  }

  add(x: number | null | undefined): void {
    if (x === null || x === undefined || Number.isNaN(x)) {
      this.missing++;
      return;
    }
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
    this.sketch.update(x);
  }

  get variance(): number {
    return this.count > 0 ? this.m2 / this.count : Number.NaN;
  }

  get min(): number {
    return this.sketch.min;
  }

  get max(): number {
    return this.sketch.max;
  }

  quantile(q: number): number {
    return this.sketch.quantile(q);
  }

  /**
   * Counts over `bins` equal-width bins from min to max (the last bin closed), estimated from the
   * sketch's weighted items and scaled to the exact count; as mergeable as the sketch.
   */
  histogram(bins = 10): { edges: number[]; counts: number[] } {
    if (this.count === 0) return { edges: [], counts: [] };
    const lo = this.min;
    const width = (this.max - lo) / bins || 1;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? this.max : lo + i * width));
    const raw = new Array<number>(bins).fill(0);
    let total = 0;
    for (const { values, weight } of this.sketch.items()) {
      for (const v of values) raw[Math.min(bins - 1, Math.floor((v - lo) / width))]! += weight;
      total += weight * values.length;
    }
    return { edges, counts: raw.map((c) => Math.round((c / total) * this.count)) };
  }

  /** Chan et al.'s parallel update: the merged moments equal those of the concatenated data. */
  merge(o: NumericProfile): void {
    const n = this.count + o.count;
    if (o.count > 0) {
      const d = o.mean - this.mean;
      this.m2 += o.m2 + (d * d * this.count * o.count) / n;
      this.mean += (d * o.count) / n;
    }
    this.count = n;
    this.missing += o.missing;
    this.sketch.merge(o.sketch);
  }
}

/**
 * Category frequencies with a bounded number of counters (Misra–Gries): every category with more
 * than count / (capacity + 1) occurrences is kept, and each kept count is low by at most that much.
 */
export class CategoryProfile {
  count = 0;
  missing = 0;
  /** Counts in mutable boxes: one map lookup per value instead of a get and a set. */
  private readonly counters = new Map<string, { n: number }>();
  /** Total decrements so far: the bound on how low any kept count can be. */
  error = 0;

  constructor(readonly capacity = 100) {}

  add(v: string | number | boolean | null | undefined, times = 1): void {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      this.missing += times;
      return;
    }
    this.count += times;
    const key = typeof v === 'string' ? v : String(v);
    const c = this.counters.get(key);
    if (c !== undefined) c.n += times;
    else {
      this.counters.set(key, { n: times });
      if (this.counters.size > this.capacity) this.shrink();
    }
  }

  private shrink(): void {
    while (this.counters.size > this.capacity) {
      let min = Infinity;
      for (const c of this.counters.values()) min = Math.min(min, c.n);
      this.error += min;
      for (const [k, c] of this.counters) {
        if (c.n - min <= 0) this.counters.delete(k);
        else c.n -= min;
      }
    }
  }

  /** Frequent categories, most frequent first. */
  top(): { value: string; count: number }[] {
    return [...this.counters].map(([value, c]) => ({ value, count: c.n })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  }

  merge(o: CategoryProfile): void {
    this.count += o.count;
    this.missing += o.missing;
    this.error += o.error;
    for (const [k, c] of o.counters) {
      const mine = this.counters.get(k);
      if (mine) mine.n += c.n;
      else this.counters.set(k, { n: c.n });
    }
    this.shrink();
  }
}
