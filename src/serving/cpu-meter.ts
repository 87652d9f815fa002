import type { Kysely } from 'kysely';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import { StepSeries, TRAFFIC_STEP_SECONDS } from './step-series.js';
import { insertRows } from './traffic-recorder.js';

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

type Cells = Map<string, { cpu: number; predictions: number }>;

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
  private readonly series: StepSeries<Cells>;

  constructor(
    db: Kysely<DB>,
    logger: Logger,
    now: () => number = Date.now,
    private readonly cpu: () => number = cpuNow,
  ) {
    this.series = new StepSeries<Cells>({
      what: 'serving CPU',
      logger,
      now,
      newCells: () => new Map(),
      isEmpty: (cells) => cells.size === 0,
      store: (steps, worker) =>
        insertRows(
          db,
          'serving_cpu',
          steps.flatMap(({ second, cells }) => [...cells].map(([deployment, c]) => ({ deployment, worker, second, cpu_us: Math.round(c.cpu), predictions: c.predictions }))),
        ),
      prune: async (second) => void (await db.deleteFrom('serving_cpu').where('second', '<', second).execute()),
    });
  }

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
    const current = this.series.cells();
    let cell = current.get(call.deployment);
    if (!cell) current.set(call.deployment, (cell = { cpu: 0, predictions: 0 }));
    cell.cpu += cpu;
    cell.predictions += predictions;
    return cpu;
  }

  start(intervalMs = 1000): void {
    this.series.start(intervalMs);
  }

  stop(): void {
    this.series.stop();
  }

  /** Writes the finished steps (and the current one when `all`); resolves once everything recorded before the call is stored. */
  flush(all = false): Promise<void> {
    return this.series.flush(all);
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
