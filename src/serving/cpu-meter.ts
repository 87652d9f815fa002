import os from 'node:os';
import type { Kysely } from 'kysely';
import { periodic } from '../shared/periodic.js';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import { TRAFFIC_RETENTION_SECONDS, TRAFFIC_STEP_SECONDS } from './traffic-recorder.js';

const MAX_UNFLUSHED_STEPS = 360;

/** Process CPU time (user + system) in microseconds. */
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

interface Call {
  deployment: string;
  /** The running share per call when the call began. */
  from: number;
}

type Step = Map<string, { cpu: number; predictions: number }>;

/**
 * CPU time a serving process spends in the inference path, per deployment. The process's CPU time
 * (user + system, `process.cpuUsage()`, which counts every thread: the runtime's compute threads
 * too) is read whenever an inference call starts or ends; what was spent since the last reading
 * is split equally among the calls in flight. Time with no call in flight is nobody's, so routing,
 * HTTP and logging outside the calls are left out; what other work runs while a call awaits its
 * runtime is counted with the calls, which overstates busy processes a little. Steps of 10 s are
 * flushed to `serving_cpu` like the traffic history; readers sum every process's rows.
 */
export class CpuMeter {
  /** Calls in flight. */
  private inFlight = 0;
  /** CPU microseconds one call in flight has been charged since the meter began: each call's charge is this at its end minus this at its start, O(1) per call however many overlap. */
  private share = 0;
  private last = cpuNow();
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
    private readonly cpu: () => number = cpuNow,
  ) {}

  /** Shares the CPU time spent since the last reading among the calls in flight. */
  private settle(): void {
    const t = this.cpu();
    const spent = t - this.last;
    this.last = t;
    if (this.inFlight > 0 && spent > 0) this.share += spent / this.inFlight;
  }

  /** An inference call of `deployment` starts; hand the result to `end`. */
  begin(deployment: string): Call {
    this.settle();
    this.inFlight++;
    return { deployment, from: this.share };
  }

  /** The call ends having predicted `predictions` rows (0 when it failed); returns its CPU microseconds. */
  end(call: Call, predictions: number): number {
    this.settle();
    this.inFlight--;
    const cpu = this.share - call.from;
    this.roll();
    let cell = this.current.get(call.deployment);
    if (!cell) this.current.set(call.deployment, (cell = { cpu: 0, predictions: 0 }));
    cell.cpu += cpu;
    cell.predictions += predictions;
    return cpu;
  }

  private roll(): void {
    const step = Math.floor(this.now() / 1000 / TRAFFIC_STEP_SECONDS);
    if (step === this.step) return;
    if (this.current.size > 0) this.finished.push({ second: this.step * TRAFFIC_STEP_SECONDS, cells: this.current });
    if (this.finished.length > MAX_UNFLUSHED_STEPS) this.finished.splice(0, this.finished.length - MAX_UNFLUSHED_STEPS);
    this.current = new Map();
    this.step = step;
  }

  start(intervalMs = 1000): void {
    this.timer = periodic(() => this.flush(), intervalMs, (err) => this.logger.warn({ err }, 'serving CPU flush failed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Writes the finished steps (and the current one when `all`); resolves once everything recorded before the call is stored. */
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
      [...cells].map(([deployment, c]) => ({ deployment, worker: this.worker, second, cpu_us: Math.round(c.cpu), predictions: c.predictions })),
    );
    try {
      if (rows.length > 0) {
        await this.db.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += 500) await trx.insertInto('serving_cpu').values(rows.slice(i, i + 500)).execute();
        });
      }
    } catch (err) {
      this.finished.unshift(...steps);
      throw err;
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    if (nowSeconds - this.lastPrune > 600) {
      this.lastPrune = nowSeconds;
      await this.db.deleteFrom('serving_cpu').where('second', '<', nowSeconds - TRAFFIC_RETENTION_SECONDS).execute();
    }
  }
}

/**
 * A deployment's serving CPU over a window, summed over every process's steps that start in it
 * (steps are 10 s, so a window's edges are that coarse).
 */
export async function servingCpu(db: Kysely<DB>, deployment: string, since: string, until: string): Promise<{ cpuSeconds: number; predictions: number }> {
  const r = await db
    .selectFrom('serving_cpu')
    .select((eb) => [eb.fn.sum<number | string | null>('cpu_us').as('cpu'), eb.fn.sum<number | string | null>('predictions').as('n')])
    .where('deployment', '=', deployment)
    .where('second', '>=', Math.floor(Date.parse(since) / 1000 / TRAFFIC_STEP_SECONDS) * TRAFFIC_STEP_SECONDS)
    .where('second', '<', Math.ceil(Date.parse(until) / 1000))
    .executeTakeFirst();
  return { cpuSeconds: Number(r?.cpu ?? 0) / 1e6, predictions: Number(r?.n ?? 0) };
}
