import os from 'node:os';
import { periodic } from '../shared/periodic.js';
import type { Logger } from '../shared/logger.js';

/** Width of one step of the traffic history and the serving CPU, in seconds. */
export const TRAFFIC_STEP_SECONDS = 10;
/** How long both are kept. */
export const TRAFFIC_RETENTION_SECONDS = 7 * 86_400;
const MAX_UNFLUSHED_STEPS = 360;

/** One finished step: its start (unix seconds) and what was counted in it. */
export interface Step<Cells> {
  second: number;
  cells: Cells;
}

export interface StepSeriesOptions<Cells> {
  /** What the flush failures are logged as. */
  what: string;
  logger: Logger;
  newCells: () => Cells;
  isEmpty: (cells: Cells) => boolean;
  /** Stores finished steps in one transaction: a failed call stored nothing, and the steps are kept for the next pass. */
  store: (steps: Step<Cells>[], worker: string) => Promise<void>;
  /** Deletes the rows of steps that began before `second`. */
  prune: (second: number) => Promise<void>;
  now?: () => number;
}

/**
 * Per-process counters in 10-second steps, kept in memory and flushed once a step is over: the hot
 * path never waits for the database. Each process writes rows of its own (`worker`); readers add
 * them up. A database that stays away costs the oldest steps, not the process's memory.
 */
export class StepSeries<Cells> {
  private step = 0;
  private current: Cells;
  private readonly finished: Step<Cells>[] = [];
  /** This process among the writers. */
  readonly worker = `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly o: StepSeriesOptions<Cells>) {
    this.current = o.newCells();
    this.now = o.now ?? Date.now;
  }

  /** The current step's cells, after moving a step whose time is over to the finished ones. */
  cells(): Cells {
    const step = Math.floor(this.now() / 1000 / TRAFFIC_STEP_SECONDS);
    if (step !== this.step) {
      if (!this.o.isEmpty(this.current)) this.finished.push({ second: this.step * TRAFFIC_STEP_SECONDS, cells: this.current });
      if (this.finished.length > MAX_UNFLUSHED_STEPS) this.finished.splice(0, this.finished.length - MAX_UNFLUSHED_STEPS);
      this.current = this.o.newCells();
      this.step = step;
    }
    return this.current;
  }

  start(intervalMs = 1000): void {
    this.timer = periodic(() => this.flush(), intervalMs, (err) => this.o.logger.warn({ err }, `${this.o.what} flush failed`));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Writes the finished steps (and the current one too when `all`, at shutdown). Passes run one
   * after another, so when this resolves everything recorded before the call is in the database.
   */
  flush(all = false): Promise<void> {
    const pass = this.flushing.then(() => this.write(all));
    this.flushing = pass.catch(() => {});
    return pass;
  }

  private async write(all: boolean): Promise<void> {
    const current = this.cells();
    const steps = this.finished.splice(0);
    if (all && !this.o.isEmpty(current)) {
      steps.push({ second: this.step * TRAFFIC_STEP_SECONDS, cells: current });
      this.current = this.o.newCells();
    }
    try {
      if (steps.length > 0) await this.o.store(steps, this.worker);
    } catch (err) {
      // Kept for the next pass rather than lost: the database may be busy for a moment.
      this.finished.unshift(...steps);
      throw err;
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    if (nowSeconds - this.lastPrune > 600) {
      this.lastPrune = nowSeconds;
      await this.o.prune(nowSeconds - TRAFFIC_RETENTION_SECONDS);
    }
  }
}
