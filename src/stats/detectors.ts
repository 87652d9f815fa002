import { ks2samp } from './drift-tests.js';

/**
 * Streaming change detectors for label-free and error streams, with river's default parameters.
 * Each takes one value at a time and says whether it detected a drift (or, where defined, a
 * warning) at that value; after a drift it starts over, as river's detectors do.
 */
export interface Detector {
  update(x: number): { drift: boolean; warning: boolean };
  reset(): void;
}

const none = { drift: false, warning: false };

/**
 * DDM (Gama et al. 2004) on a 0/1 error stream: drift when p + s > p_min + 3·s_min, warning above
 * 2·s_min, judged from the 31st value on (river: warm_start=30, warning_threshold=2, drift_threshold=3).
 */
export class Ddm implements Detector {
  private n = 0;
  private p = 0;
  private pMin = Infinity;
  private sMin = Infinity;
  private psMin = Infinity;

  constructor(
    private readonly warmStart = 30,
    private readonly warningThreshold = 2,
    private readonly driftThreshold = 3,
  ) {}

  reset(): void {
    this.n = 0;
    this.p = 0;
    this.pMin = this.sMin = this.psMin = Infinity;
  }

  update(x: number): { drift: boolean; warning: boolean } {
    this.n++;
    this.p += (x - this.p) / this.n;
    const s = Math.sqrt((this.p * (1 - this.p)) / this.n);
    // As river: judged once more than `warmStart` values were seen.
    if (this.n <= this.warmStart) return none;
    if (this.p + s <= this.psMin) {
      this.pMin = this.p;
      this.sMin = s;
      this.psMin = this.p + s;
    }
    if (this.p + s > this.pMin + this.driftThreshold * this.sMin) {
      this.reset();
      return { drift: true, warning: false };
    }
    return { drift: false, warning: this.p + s > this.pMin + this.warningThreshold * this.sMin };
  }
}

/**
 * EDDM (Baena-García et al. 2006) on a 0/1 error stream: watches the distance between consecutive
 * errors; with m = mean + 2·std of those distances and m_max its largest value so far, a warning
 * when m / m_max < α and a drift when m / m_max < β, judged once `warmStart` errors have been seen
 * (river: warm_start=30, alpha=0.95, beta=0.9). Meant for gradual decay; with these defaults it
 * raises many false alarms on stable streams, as river's own documentation warns.
 */
export class Eddm implements Detector {
  private n = 0;
  private errors = 0;
  private lastError = 0;
  private mean = 0;
  private m2 = 0;
  private m2sMax = -1;

  constructor(
    private readonly warmStart = 30,
    private readonly alpha = 0.95,
    private readonly beta = 0.9,
  ) {}

  reset(): void {
    this.n = this.errors = this.lastError = this.mean = this.m2 = 0;
    this.m2sMax = -1;
  }

  update(x: number): { drift: boolean; warning: boolean } {
    this.n++;
    if (!x) return none;
    this.errors++;
    const distance = this.n - this.lastError;
    this.lastError = this.n;
    const delta = distance - this.mean;
    this.mean += delta / this.errors;
    this.m2 += delta * (distance - this.mean);
    // As river: the maximum is tracked after `warmStart` values, judged after `warmStart` errors.
    if (this.n <= this.warmStart) return none;
    const m2s = this.mean + 2 * (this.errors > 1 ? Math.sqrt(this.m2 / (this.errors - 1)) : 0);
    if (m2s > this.m2sMax) {
      this.m2sMax = m2s;
      return none;
    }
    if (this.errors <= this.warmStart) return none;
    const level = m2s / this.m2sMax;
    if (level < this.beta) {
      this.reset();
      return { drift: true, warning: false };
    }
    return { drift: false, warning: level < this.alpha };
  }
}

/**
 * Page–Hinkley for a change in the mean, both ways (river: min_instances=30, delta=0.005,
 * threshold=50, alpha=1-1e-4, mode="both"); as river, the smallest upward sum starts at +∞ and the
 * largest downward sum at −1.
 */
export class PageHinkley implements Detector {
  private n = 0;
  private mean = 0;
  private sumUp = 0;
  private sumDown = 0;
  private minUp = Infinity;
  private maxDown = -1;

  constructor(
    private readonly minInstances = 30,
    private readonly delta = 0.005,
    private readonly threshold = 50,
    private readonly alpha = 1 - 0.0001,
  ) {}

  reset(): void {
    this.n = this.mean = this.sumUp = this.sumDown = 0;
    this.minUp = Infinity;
    this.maxDown = -1;
  }

  update(x: number): { drift: boolean; warning: boolean } {
    this.n++;
    this.mean += (x - this.mean) / this.n;
    this.sumUp = this.alpha * this.sumUp + (x - this.mean - this.delta);
    this.sumDown = this.alpha * this.sumDown + (x - this.mean + this.delta);
    this.minUp = Math.min(this.minUp, this.sumUp);
    this.maxDown = Math.max(this.maxDown, this.sumDown);
    if (this.n < this.minInstances) return none;
    if (this.sumUp - this.minUp > this.threshold || this.maxDown - this.sumDown > this.threshold) {
      this.reset();
      return { drift: true, warning: false };
    }
    return none;
  }
}

/**
 * KSWIN (Raab et al. 2020): keeps the last 100 values; drift when the newest 30 differ from 30
 * drawn (seeded) from the older 70 by a KS test at α = 0.005 with a statistic above 0.1
 * (river: alpha=0.005, window_size=100, stat_size=30). After a drift it starts over with an empty
 * window and its seed, as river's does on the next value. River draws with Python's `random`
 * (unseeded by default); Sextant's seed 42 drives its own generator, so the samples differ.
 */
export class Kswin implements Detector {
  private window: number[] = [];
  private state: number;

  constructor(
    private readonly alpha = 0.005,
    private readonly windowSize = 100,
    private readonly statSize = 30,
    private readonly seed = 42,
  ) {
    this.state = seed;
  }

  private random(): number {
    this.state = (this.state * 48271) % 2147483647;
    return this.state / 2147483647;
  }

  reset(): void {
    this.window = [];
    this.state = this.seed;
  }

  update(x: number): { drift: boolean; warning: boolean } {
    this.window.push(x);
    if (this.window.length > this.windowSize) this.window.shift();
    if (this.window.length < this.windowSize) return none;
    const older = this.window.slice(0, this.windowSize - this.statSize);
    // A sample without replacement of the older values (partial Fisher–Yates).
    for (let i = 0; i < this.statSize; i++) {
      const j = i + Math.floor(this.random() * (older.length - i));
      [older[i], older[j]] = [older[j]!, older[i]!];
    }
    const recent = this.window.slice(-this.statSize);
    const r = ks2samp(older.slice(0, this.statSize), recent);
    if (r.pValue !== null && r.pValue <= this.alpha && r.statistic > 0.1) {
      this.reset();
      return { drift: true, warning: false };
    }
    return none;
  }
}

interface Bucket {
  total: number;
  variance: number;
  size: number;
}

/**
 * ADWIN (Bifet & Gavaldà 2007): an adaptive window kept as an exponential histogram (at most
 * 5 buckets of each size 2^i); every 32 values it drops the oldest part while two sub-windows of
 * at least 5 values differ in mean by more than
 * ε = sqrt(2 · r · σ² · ln(2 ln n / δ)) + 2/3 · r · ln(2 ln n / δ), r = 1/(n0 − 4) + 1/(n1 − 4), as river's
 * (river: delta=0.002, clock=32, max_buckets=5, min_window_length=5, grace_period=10).
 */
export class Adwin implements Detector {
  private rows: Bucket[][] = [[]];
  private width = 0;
  private total = 0;
  private variance = 0;
  private ticks = 0;

  constructor(
    private readonly delta = 0.002,
    private readonly clock = 32,
    private readonly maxBuckets = 5,
    private readonly minWindowLength = 5,
    private readonly gracePeriod = 10,
  ) {}

  reset(): void {
    this.rows = [[]];
    this.width = this.total = this.variance = this.ticks = 0;
  }

  /** Values currently in the window. */
  get size(): number {
    return this.width;
  }

  get mean(): number {
    return this.width ? this.total / this.width : 0;
  }

  private insert(x: number): void {
    if (this.width > 0) {
      const mean = this.total / this.width;
      this.variance += (this.width * (x - mean) ** 2) / (this.width + 1);
    }
    this.width++;
    this.total += x;
    this.rows[0]!.push({ total: x, variance: 0, size: 1 });
    // Merge the two oldest buckets of a row into the next row when a row overflows.
    for (let i = 0; i < this.rows.length; i++) {
      const row = this.rows[i]!;
      if (row.length <= this.maxBuckets) break;
      const [a, b] = row.splice(0, 2) as [Bucket, Bucket];
      const n = a.size;
      const merged = { total: a.total + b.total, size: 2 * n, variance: a.variance + b.variance + (n * n * (a.total / n - b.total / n) ** 2) / (2 * n) };
      if (i + 1 === this.rows.length) this.rows.push([]);
      this.rows[i + 1]!.push(merged);
    }
  }

  /** Removes the oldest bucket (it is the first of the highest non-empty row). */
  private dropOldest(): void {
    let i = this.rows.length - 1;
    while (i > 0 && this.rows[i]!.length === 0) i--;
    const b = this.rows[i]!.shift()!;
    const n1 = this.width - b.size;
    const mean1 = n1 ? (this.total - b.total) / n1 : 0;
    this.variance -= b.variance + (b.size * n1 * (b.total / b.size - mean1) ** 2) / (b.size + n1);
    this.width -= b.size;
    this.total -= b.total;
    if (this.variance < 0) this.variance = 0;
    while (this.rows.length > 1 && this.rows[this.rows.length - 1]!.length === 0) this.rows.pop();
  }

  update(x: number): { drift: boolean; warning: boolean } {
    this.insert(x);
    this.ticks++;
    if (this.ticks % this.clock !== 0 || this.width <= this.gracePeriod) return none;
    let drift = false;
    for (;;) {
      // Oldest to newest: rows from the highest, each row's buckets in insertion order.
      const buckets: Bucket[] = [];
      for (let i = this.rows.length - 1; i >= 0; i--) buckets.push(...this.rows[i]!);
      let n0 = 0;
      let total0 = 0;
      let cut = false;
      const sigma2 = this.variance / this.width;
      const deltaPrime = this.delta / Math.log(this.width);
      const logTerm = Math.log(2 / deltaPrime);
      for (let k = 0; k < buckets.length - 1; k++) {
        n0 += buckets[k]!.size;
        total0 += buckets[k]!.total;
        const n1 = this.width - n0;
        if (n0 < this.minWindowLength || n1 < this.minWindowLength) continue;
        // River's harmonic term counts each side from its minimum length: 1/(n0 − 5 + 1) + 1/(n1 − 5 + 1).
        const mRecip = 1 / (n0 - this.minWindowLength + 1) + 1 / (n1 - this.minWindowLength + 1);
        const epsilon = Math.sqrt(2 * mRecip * sigma2 * logTerm) + (2 / 3) * logTerm * mRecip;
        if (Math.abs(total0 / n0 - (this.total - total0) / n1) > epsilon) {
          cut = true;
          break;
        }
      }
      if (!cut) break;
      this.dropOldest();
      drift = true;
    }
    return { drift, warning: false };
  }
}

/** The detectors a monitor can run, by the names monitors use. */
export const DETECTORS = { adwin: Adwin, ddm: Ddm, eddm: Eddm, page_hinkley: PageHinkley, kswin: Kswin } as const;
export type DetectorName = keyof typeof DETECTORS;

/** River's class name of each detector, for messages. */
export const DETECTOR_LABELS: Record<DetectorName, string> = { adwin: 'ADWIN', ddm: 'DDM', eddm: 'EDDM', page_hinkley: 'Page-Hinkley', kswin: 'KSWIN' };

/** A fresh detector with river's defaults. */
export function newDetector(name: DetectorName): Detector {
  return new DETECTORS[name]();
}

// JSON has no infinities (DDM starts its minima at +∞), so they travel as strings.
const encode = (_k: string, v: unknown) => (v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : v);
const decode = (_k: string, v: unknown) => (v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : v);

/**
 * A detector's whole state as plain JSON (its parameters, counters, windows), to carry it from one
 * monitor window to the next: `restoreDetector` of it continues exactly where this one stopped.
 */
export function detectorState(d: Detector): unknown {
  return JSON.parse(JSON.stringify(d, encode));
}

/** The detector `detectorState` saved; a fresh one when there is no state. */
export function restoreDetector(name: DetectorName, state: unknown): Detector {
  const d = newDetector(name);
  if (state && typeof state === 'object') Object.assign(d, JSON.parse(JSON.stringify(state), decode));
  return d;
}
