import os from 'node:os';
import type { Kysely } from 'kysely';
import { periodic } from '../shared/periodic.js';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import { addTo, type Histogram } from './latency-histogram.js';

/** Width of one step of the traffic history, in seconds. */
export const TRAFFIC_STEP_SECONDS = 10;
/** How long the history is kept. */
export const TRAFFIC_RETENTION_SECONDS = 7 * 86_400;
const MAX_UNFLUSHED_STEPS = 360;

/** What became of one request, for the counters. */
export type Outcome = 'ok' | 'error' | 'invalid';

interface Cell {
  count: number;
  errors: number;
  invalid: number;
  shed: number;
  histogram: Histogram;
}

type Step = Map<string, Map<number, Cell>>;

const newCell = (): Cell => ({ count: 0, errors: 0, invalid: 0, shed: 0, histogram: new Map() });

/**
 * Counts every request a serving process answers, per deployment, version and 10-second step, in
 * memory; once a step is over it is flushed to `traffic_samples` in one insert. The hot path
 * costs two map lookups and a histogram bump, never a database call. Several processes write
 * their own rows; readers (`TrafficHistory`) add them up.
 */
export class TrafficRecorder {
  private step = 0;
  private current: Step = new Map();
  private readonly finished: { second: number; cells: Step }[] = [];
  private readonly worker = `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Moves the current step to the finished ones once its time is over. */
  private roll(): void {
    const step = Math.floor(this.now() / 1000 / TRAFFIC_STEP_SECONDS);
    if (step === this.step) return;
    if (this.current.size > 0) this.finished.push({ second: this.step * TRAFFIC_STEP_SECONDS, cells: this.current });
    // A database that stays away for an hour costs the oldest steps, not the process's memory.
    if (this.finished.length > MAX_UNFLUSHED_STEPS) this.finished.splice(0, this.finished.length - MAX_UNFLUSHED_STEPS);
    this.current = new Map();
    this.step = step;
  }

  private cell(deployment: string, version: number): Cell {
    this.roll();
    let versions = this.current.get(deployment);
    if (!versions) this.current.set(deployment, (versions = new Map()));
    let cell = versions.get(version);
    if (!cell) versions.set(version, (cell = newCell()));
    return cell;
  }

  /** One answered request of a deployment's version. */
  record(deployment: string, version: number, ms: number, outcome: Outcome): void {
    const cell = this.cell(deployment, version);
    cell.count++;
    if (outcome === 'error') cell.errors++;
    else if (outcome === 'invalid') cell.invalid++;
    addTo(cell.histogram, ms);
  }

  /** One request refused before a version was chosen because the process was overloaded. */
  shed(deployment: string): void {
    this.cell(deployment, 0).shed++;
  }

  start(intervalMs = 1000): void {
    this.timer = periodic(() => this.flush(), intervalMs, (err) => this.logger.warn({ err }, 'traffic history flush failed'));
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
    this.roll();
    const steps = this.finished.splice(0);
    if (all && this.current.size > 0) {
      steps.push({ second: this.step * TRAFFIC_STEP_SECONDS, cells: this.current });
      this.current = new Map();
    }
    const rows = steps.flatMap(({ second, cells }) =>
      [...cells].flatMap(([deployment, versions]) =>
        [...versions].map(([version, c]) => ({
          deployment,
          version,
          worker: this.worker,
          second,
          count: c.count,
          errors: c.errors,
          invalid: c.invalid,
          shed: c.shed,
          histogram: JSON.stringify(Object.fromEntries(c.histogram)),
        })),
      ),
    );
    try {
      // One transaction, so a failed pass inserted nothing and the retry counts nothing twice.
      if (rows.length > 0) {
        await this.db.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += 500) await trx.insertInto('traffic_samples').values(rows.slice(i, i + 500)).execute();
        });
      }
    } catch (err) {
      // Kept for the next pass rather than lost: the database may be busy for a moment.
      this.finished.unshift(...steps);
      throw err;
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    if (nowSeconds - this.lastPrune > 600) {
      this.lastPrune = nowSeconds;
      await this.db.deleteFrom('traffic_samples').where('second', '<', nowSeconds - TRAFFIC_RETENTION_SECONDS).execute();
    }
  }
}
