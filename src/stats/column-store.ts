import { isDropped } from './binning.js';
import { KllSketch } from './kll-sketch.js';

export type Cell = number | string | boolean | null;

/** A value as a count key: its type and text, so 1 and "1" stay apart. */
export const cellKey = (v: number | string | boolean) => `${typeof v}:${String(v)}`;

/**
 * One column of one side of a drift comparison, filled a row at a time. It keeps every value
 * (numbers in a Float64Array, anything else as codes into a dictionary) until `sketch()` is called;
 * from then on numbers go into a KLL sketch and running moments, so memory stops growing with
 * rows. Value counts are kept either way while the column has at most `distinctCap` distinct
 * values (numbers: at most 1,000, counting is most of the cost of a continuous column): categories
 * and few-valued numbers stay exact at any size.
 */
export class ColumnStore {
  rows = 0;
  /** Non-missing, finite values seen (what a test counts). */
  present = 0;
  numeric = true;
  private nums: Float64Array | null = new Float64Array(1024);
  private codes: Int32Array | null = null;
  private dict: (number | string | boolean)[] = [];
  private dictIndex = new Map<string, number>();
  /** Count per value (keyed by the value itself: 1 and "1" are different keys), null past the cap. */
  counts: Map<number | string | boolean, number> | null = new Map();
  kll: KllSketch | null = null;
  /** Welford moments of the numbers (finite), and their range. */
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    private readonly distinctCap = 10_000,
    backfill = 0,
  ) {
    for (let i = 0; i < backfill; i++) this.push(null);
  }

  get exact(): boolean {
    return this.kll === null;
  }

  private code(v: number | string | boolean): number {
    const k = cellKey(v);
    let c = this.dictIndex.get(k);
    if (c === undefined) {
      c = this.dict.length;
      this.dict.push(v);
      this.dictIndex.set(k, c);
    }
    return c;
  }

  private toCodes(): void {
    const codes = new Int32Array(Math.max(1024, this.nums!.length));
    for (let i = 0; i < this.rows; i++) {
      const x = this.nums![i]!;
      codes[i] = Number.isNaN(x) ? -1 : this.code(x);
    }
    this.codes = codes;
    this.nums = null;
  }

  push(v: Cell | undefined): void {
    const value = v ?? null;
    const dropped = isDropped(value);
    if (!dropped) {
      this.present++;
      if (typeof value === 'number') {
        const d = value - this.mean;
        this.mean += d / this.present;
        this.m2 += d * (value - this.mean);
        if (value < this.min) this.min = value;
        if (value > this.max) this.max = value;
        this.kll?.update(value);
      } else if (this.numeric) {
        this.numeric = false;
        if (this.nums) this.toCodes();
      }
      if (this.counts) {
        const k = value as number | string | boolean;
        const n = this.counts.get(k);
        if (n !== undefined) this.counts.set(k, n + 1);
        else if (this.counts.size < (typeof k === 'number' ? Math.min(1000, this.distinctCap) : this.distinctCap)) this.counts.set(k, 1);
        else this.counts = null;
      }
    }
    if (this.exact) {
      if (this.nums) {
        if (this.rows === this.nums.length) {
          const next = new Float64Array(this.nums.length * 2);
          next.set(this.nums);
          this.nums = next;
        }
        // Missing values are NaN; infinities are kept (the test step drops them, as Evidently's).
        this.nums[this.rows] = typeof value === 'number' ? value : NaN;
      } else {
        if (this.rows === this.codes!.length) {
          const next = new Int32Array(this.codes!.length * 2);
          next.set(this.codes!);
          this.codes = next;
        }
        this.codes![this.rows] = value === null || (typeof value === 'number' && Number.isNaN(value)) ? -1 : this.code(value);
      }
    }
    this.rows++;
  }

  /** Switches to the sketch: every number kept so far goes into it, and the stored values are freed. */
  sketch(k = 240): void {
    if (!this.exact) return;
    this.kll = new KllSketch(k);
    if (this.nums) {
      for (let i = 0; i < this.rows; i++) {
        const x = this.nums[i]!;
        if (Number.isFinite(x)) this.kll.update(x);
      }
    } else {
      for (let i = 0; i < this.rows; i++) {
        const c = this.codes![i]!;
        const x = c < 0 ? null : this.dict[c]!;
        if (typeof x === 'number' && Number.isFinite(x)) this.kll.update(x);
      }
    }
    this.nums = null;
    this.codes = null;
    this.dict = [];
    this.dictIndex.clear();
  }

  /** Every value in row order (exact mode only). */
  values(): Cell[] {
    if (this.nums) return Array.from(this.nums.subarray(0, this.rows));
    if (this.codes) return Array.from(this.codes.subarray(0, this.rows), (c) => (c < 0 ? null : this.dict[c]!));
    throw new RangeError('the column is sketched: its values are no longer kept');
  }

  /** Population variance of the numbers. */
  get variance(): number {
    return this.present > 0 ? this.m2 / this.present : NaN;
  }

  /**
   * The numbers as sorted (value, weight) pairs: exact counts when the column has few distinct
   * values, the stored values in exact mode, else the sketch's retained items.
   */
  weighted(): { points: [number, number][]; exact: boolean } {
    if (this.counts && this.numeric) return { points: [...this.counts].map((e) => e as [number, number]).sort((a, b) => a[0] - b[0]), exact: true };
    if (this.exact) {
      const xs = Float64Array.from(this.values().filter((v): v is number => typeof v === 'number' && Number.isFinite(v))).sort();
      return { points: Array.from(xs, (x): [number, number] => [x, 1]), exact: true };
    }
    return { points: this.kll!.weighted(), exact: false };
  }
}
