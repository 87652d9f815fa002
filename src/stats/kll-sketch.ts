import { sortFloat64 } from './sort-float64.js';

/** One level of the sketch: a growable typed buffer and how much of it is used. */
interface Level {
  items: Float64Array;
  size: number;
}

const newLevel = (capacity = 16): Level => ({ items: new Float64Array(capacity), size: 0 });

function push(level: Level, x: number): void {
  if (level.size === level.items.length) {
    const grown = new Float64Array(level.items.length * 2);
    grown.set(level.items);
    level.items = grown;
  }
  level.items[level.size++] = x;
}

/**
 * Merges the sorted items `from[start], from[start + 2], …` below `end` into the sorted level, in
 * place from the back: no sort, no allocation beyond growing the level.
 */
function mergeEveryOther(level: Level, from: Float64Array, start: number, end: number): void {
  const m = (end - start + 1) >> 1;
  if (m <= 0) return;
  if (level.size + m > level.items.length) {
    const grown = new Float64Array(Math.max(level.items.length * 2, level.size + m));
    grown.set(level.items.subarray(0, level.size));
    level.items = grown;
  }
  const a = level.items;
  let i = level.size - 1;
  let j = start + 2 * (m - 1);
  for (let k = level.size + m - 1; j >= start; k--) {
    if (i >= 0 && a[i]! > from[j]!) a[k] = a[i--]!;
    else {
      a[k] = from[j]!;
      j -= 2;
    }
  }
  level.size += m;
}

/** Sorts the used part of a level in place: insertion sort for short ones. */
function sortLevel(level: Level): void {
  const a = level.items;
  const n = level.size;
  if (n > 32) {
    sortFloat64(a, n);
    return;
  }
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** How many of the first `n` items of the sorted `a` are at most `v`. */
function countAtMost(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The entry level holds up to this many items before it is sorted and compacted, whatever its KLL
 * capacity. One compaction of 4,096 sorted items adds no more rank error than one of 8 (one item's
 * weight, either way), so the sketch is as accurate, with 32 KB more; and a radix sort of 4,096
 * items costs about a quarter of what the built-in sort, or many small insertion sorts, cost.
 */
const ENTRY_CAPACITY = 4096;

/**
 * The sampler starts at 0.56 k² items (32,256 at k = 240). A sample alone of m items has a worst
 * rank error of about 1.63 / √m at the 99th percentile (Kolmogorov's distribution): 0.9 % for
 * 32,000 items, so it cannot start much earlier. Measured over 200 seeds at 64,000 to 1,000,000
 * normal items, this sketch's worst rank error over all quantiles had a median of 0.41–0.54 % and
 * a 99th percentile of 0.66–0.96 %; a plain KLL sketch at k = 200 had 0.68–0.74 % and 1.06–1.24 %.
 */
const SAMPLE_FROM_PER_K2 = 0.56;

/**
 * KLL quantile sketch (Karnin, Lang, Liberty 2016): mergeable, with rank error within the 1.33 %
 * (99 % confidence) that Apache DataSketches publishes for a plain KLL sketch at k = 200. A seeded
 * generator makes compaction, and so every result, reproducible. Levels are typed buffers, so
 * compaction sorts in place without converting arrays (ingest speed).
 *
 * Two departures from the plain sketch make ingest cheaper without losing accuracy:
 * - the entry level takes 4,096 items before it is sorted (by radix) and compacted at once;
 * - long streams go through the sampler of the KLL paper (section 3.3): from 0.56 k² items on, one
 *   item chosen at random in each block of 2^s consecutive items enters the sketch at level s, with
 *   its weight 2^s, and s grows by one each time the count doubles. That is what compactors of
 *   width 2 would do item by item, done for a block at the cost of a counter.
 * Together, medians of interleaved runs: 100,000 items about 1.5× faster than the plain sketch at
 * the same k, 1,000,000 items 3–4× faster.
 */
export class KllSketch {
  private levels: Level[] = [newLevel()];
  private seed: number;
  /** Items held and the most the levels may hold, kept current instead of recounted per update. */
  private held = 0;
  private limit = 0;
  /**
   * Capacities per level, top level k, each lower one 2/3 of the one above, at least 8 (the
   * minimum width DataSketches uses, so the lowest levels do not compact every few items), the
   * entry level at least ENTRY_CAPACITY. Recomputed only when a level is added or the entry moves.
   */
  private capacities: number[] = [];
  /** The level new items enter (s): the only level that is not kept sorted. */
  private bottom = 0;
  /** Position in the current block of 2^bottom items, and the position of the one that is kept. */
  private position = 0;
  private pick = 0;
  /** The count at which the blocks next double. */
  private nextDoubling: number;
  /** The count at which the entry level was last sorted for a quantile query. */
  private sortedAt = -1;
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    readonly k = 240,
    seed = 1,
  ) {
    this.seed = seed;
    this.nextDoubling = Math.ceil(SAMPLE_FROM_PER_K2 * k * k);
    this.recap();
  }

  private bits(): number {
    // xorshift32: cheap and reproducible.
    let x = this.seed || 1;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  private recap(): void {
    const n = this.levels.length;
    this.capacities = Array.from({ length: n }, (_, h) => Math.max(h === this.bottom ? ENTRY_CAPACITY : 8, Math.ceil(this.k * (2 / 3) ** (n - h - 1))));
    this.limit = this.capacities.reduce((a, b) => a + b, 0);
  }

  private size(): number {
    return this.levels.reduce((s, l) => s + l.size, 0);
  }

  update(x: number): void {
    if (Number.isNaN(x)) return;
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.position === this.pick) {
      push(this.levels[this.bottom]!, x);
      if (++this.held > this.limit) this.compress();
    }
    if (++this.position === 1 << this.bottom) this.nextBlock();
  }

  /** Starts the next block; once the count has doubled, blocks double and items enter a level higher. */
  private nextBlock(): void {
    this.position = 0;
    if (this.count >= this.nextDoubling) {
      // Every level but the entry one is kept sorted, so the one left behind is sorted now.
      sortLevel(this.levels[this.bottom]!);
      this.bottom++;
      this.nextDoubling *= 2;
      if (this.levels.length === this.bottom) this.levels.push(newLevel());
      this.recap();
    }
    this.pick = this.bits() & ((1 << this.bottom) - 1);
  }

  /**
   * After a merge or a load: the entry level and the block size that the count calls for, every
   * other level sorted, and the levels compacted to their capacities. A block in progress restarts.
   */
  private settle(): void {
    this.sortedAt = -1;
    const start = Math.ceil(SAMPLE_FROM_PER_K2 * this.k * this.k);
    this.bottom = this.count < start ? 0 : Math.floor(Math.log2(this.count / start)) + 1;
    this.nextDoubling = start * 2 ** this.bottom;
    while (this.levels.length <= this.bottom) this.levels.push(newLevel());
    this.levels.forEach((l, h) => h !== this.bottom && sortLevel(l));
    this.position = 0;
    this.pick = this.bits() & ((1 << this.bottom) - 1);
    this.recap();
    this.held = this.size();
    while (this.held > this.limit) this.compress();
  }

  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      const level = this.levels[h]!;
      if (level.size < this.capacities[h]!) continue;
      if (h + 1 === this.levels.length) {
        this.levels.push(newLevel());
        this.recap();
      }
      // The other levels are kept sorted (each compaction merges a sorted run into the next), so
      // only the entry level is sorted here: sorting the upper levels was most of the update cost.
      if (h === this.bottom) sortLevel(level);
      // An odd item stays behind; the others pair up and one of each pair moves up, at double weight.
      const pairs = level.size - (level.size % 2);
      mergeEveryOther(this.levels[h + 1]!, level.items, this.bits() & 1, pairs);
      if (level.size % 2 === 1) level.items[0] = level.items[pairs]!;
      level.size %= 2;
      this.held -= pairs / 2;
      if (this.held <= this.limit) return;
    }
  }

  /** Merges another sketch into this one (the result answers for both streams). */
  merge(other: KllSketch): void {
    while (this.levels.length < other.levels.length) this.levels.push(newLevel());
    other.levels.forEach((l, h) => {
      for (let i = 0; i < l.size; i++) push(this.levels[h]!, l.items[i]!);
    });
    this.count += other.count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.settle();
  }

  /** The retained items of each level (those of the entry level in no particular order) and their weight. */
  items(): { values: Float64Array; weight: number }[] {
    return this.levels.map((l, h) => ({ values: l.items.subarray(0, l.size), weight: 2 ** h }));
  }

  /** The retained items with their weights (2^level), sorted by value. */
  weighted(): [number, number][] {
    return this.items()
      .flatMap(({ values, weight }) => Array.from(values, (v): [number, number] => [v, weight]))
      .sort((a, b) => a[0] - b[0]);
  }

  /**
   * The value at rank q (0..1): the smallest retained item whose weight, with that of every item
   * below it, reaches q of the total; NaN when empty. Searches each sorted level instead of
   * merging them: the entry level alone can hold 4,096 items.
   */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    if (this.sortedAt !== this.count) {
      // Sorting the entry level in place changes nothing its next compaction would not do first.
      sortLevel(this.levels[this.bottom]!);
      this.sortedAt = this.count;
    }
    const weightAtMost = (v: number) => this.levels.reduce((w, l, h) => w + 2 ** h * countAtMost(l.items, l.size, v), 0);
    const target = q * this.levels.reduce((w, l, h) => w + 2 ** h * l.size, 0);
    let best = this.max;
    for (const l of this.levels) {
      let lo = 0;
      let hi = l.size;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (weightAtMost(l.items[mid]!) >= target) hi = mid;
        else lo = mid + 1;
      }
      if (lo < l.size && l.items[lo]! < best) best = l.items[lo]!;
    }
    return best;
  }

  /** The sketch as plain data; `bottom` (the level new items enter) is informative, loading recomputes it from the count. */
  toJSON(): { k: number; count: number; min: number; max: number; bottom: number; levels: number[][] } {
    return {
      k: this.k,
      count: this.count,
      min: this.min,
      max: this.max,
      bottom: this.bottom,
      levels: this.levels.map((l) => Array.from(l.items.subarray(0, l.size))),
    };
  }

  static fromJSON(j: { k: number; count: number; min: number; max: number; levels: number[][] }): KllSketch {
    const s = new KllSketch(j.k);
    s.count = j.count;
    s.min = j.min;
    s.max = j.max;
    s.levels = j.levels.map((l) => ({ items: Float64Array.from(l.length ? l : [0]), size: l.length }));
    s.settle();
    return s;
  }
}
