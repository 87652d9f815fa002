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
 * 2·s_min, judged from the 30th value on (river: warm_start=30, warning_threshold=2, drift_threshold=3).
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
    if (this.n < this.warmStart) return none;
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

/** Page–Hinkley for a change in the mean, both ways (river: min_instances=30, delta=0.005, threshold=50, alpha=1-1e-4). */
export class PageHinkley implements Detector {
  private n = 0;
  private mean = 0;
  private sumUp = 0;
  private sumDown = 0;
  private minUp = 0;
  private maxDown = 0;

  constructor(
    private readonly minInstances = 30,
    private readonly delta = 0.005,
    private readonly threshold = 50,
    private readonly alpha = 1 - 0.0001,
  ) {}

  reset(): void {
    this.n = this.mean = this.sumUp = this.sumDown = this.minUp = this.maxDown = 0;
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
 * (river: alpha=0.005, window_size=100, stat_size=30). The window restarts from the newest 30.
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
      this.window = recent;
      return { drift: true, warning: false };
    }
    return none;
  }
}
