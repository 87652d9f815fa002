import type { Insertable, Kysely } from 'kysely';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import { addTo, type Histogram } from './latency-histogram.js';
import { StepSeries, type Step } from './step-series.js';

export { TRAFFIC_RETENTION_SECONDS, TRAFFIC_STEP_SECONDS } from './step-series.js';

/** What became of one request, for the counters. */
export type Outcome = 'ok' | 'error' | 'invalid';

interface Cell {
  count: number;
  errors: number;
  invalid: number;
  shed: number;
  histogram: Histogram;
}

type Cells = Map<string, Map<number, Cell>>;

const newCell = (): Cell => ({ count: 0, errors: 0, invalid: 0, shed: 0, histogram: new Map() });

/**
 * Counts every request a serving process answers, per deployment, version and 10-second step, in
 * memory; once a step is over it is flushed to `traffic_samples` in one insert. The hot path
 * costs two map lookups and a histogram bump, never a database call. Several processes write
 * their own rows; readers (`TrafficHistory`) add them up.
 */
export class TrafficRecorder {
  private readonly series: StepSeries<Cells>;

  constructor(db: Kysely<DB>, logger: Logger, now: () => number = Date.now) {
    this.series = new StepSeries<Cells>({
      what: 'traffic history',
      logger,
      now,
      newCells: () => new Map(),
      isEmpty: (cells) => cells.size === 0,
      store: (steps, worker) => insertRows(db, 'traffic_samples', trafficRows(steps, worker)),
      prune: async (second) => void (await db.deleteFrom('traffic_samples').where('second', '<', second).execute()),
    });
  }

  private cell(deployment: string, version: number): Cell {
    const current = this.series.cells();
    let versions = current.get(deployment);
    if (!versions) current.set(deployment, (versions = new Map()));
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

function trafficRows(steps: Step<Cells>[], worker: string) {
  return steps.flatMap(({ second, cells }) =>
    [...cells].flatMap(([deployment, versions]) =>
      [...versions].map(([version, c]) => ({
        deployment,
        version,
        worker,
        second,
        count: c.count,
        errors: c.errors,
        invalid: c.invalid,
        shed: c.shed,
        histogram: JSON.stringify(Object.fromEntries(c.histogram)),
      })),
    ),
  );
}

/** Inserts rows in chunks of 500 in one transaction, so a failed pass stored nothing and its retry counts nothing twice. */
export async function insertRows<T extends 'traffic_samples' | 'serving_cpu'>(db: Kysely<DB>, table: T, rows: Insertable<DB[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto(table).values(rows.slice(i, i + 500)).execute();
  });
}
