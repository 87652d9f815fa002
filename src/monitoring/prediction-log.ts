import type { Kysely } from 'kysely';
import type { Counter, Gauge } from 'prom-client';
import type { FeatureBatch, OutputTensor } from '../runtime/index.js';
import type { Logger } from '../shared/logger.js';
import type { DB, PredictionsTable } from '../storage/index.js';

/** One inference as the hot path hands it over: references only, serialised later by the writer. */
export interface PredictionRecord {
  requestId: string;
  role: 'primary' | 'shadow';
  deployment: string;
  model: string;
  version: number | null;
  time: number;
  features: readonly string[];
  batch: FeatureBatch | null;
  outputs: OutputTensor[] | null;
  latencyMs: number;
  error: string | null;
  redact: readonly string[];
}

export interface PredictionLogOptions {
  /** Records waiting at most; beyond it new records are dropped and counted. */
  maxQueue: number;
  /** Rows per insert. */
  batchSize: number;
  /** How often the writer flushes. */
  flushMs: number;
}

export interface PredictionLogMetrics {
  queued: Gauge;
  dropped: Counter;
  written: Counter;
}

function inputsJson(r: PredictionRecord): string | null {
  if (!r.batch) return null;
  const redact = new Set(r.redact);
  const cols = r.batch.columns;
  const rows: unknown[][] = [];
  for (let i = 0; i < r.batch.rows; i++) {
    rows.push(
      cols.map((c, f) => {
        if (redact.has(r.features[f]!)) return '[redacted]';
        const v = c[i];
        return typeof v === 'number' && Number.isNaN(v) ? null : v;
      }),
    );
  }
  return JSON.stringify({ features: r.features, rows });
}

function toRow(r: PredictionRecord): PredictionsTable {
  return {
    request_id: r.requestId,
    role: r.role,
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    time: new Date(r.time).toISOString(),
    rows: r.batch?.rows ?? 0,
    inputs: inputsJson(r),
    outputs: r.outputs ? JSON.stringify(r.outputs) : null,
    latency_ms: r.latencyMs,
    error: r.error,
  };
}

/**
 * The prediction log writer: the hot path pushes a record into a bounded queue and returns; a
 * timer serialises and inserts batches. A full queue drops the record and counts it (exported
 * as a metric), so logging can slow nothing down and loses nothing silently.
 */
export class PredictionLog {
  private queue: PredictionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: PredictionLogOptions,
    private readonly metrics: PredictionLogMetrics,
    private readonly logger: Logger,
  ) {}

  /** Queues a record; false when the queue is full and the record was dropped. */
  enqueue(record: PredictionRecord): boolean {
    if (this.queue.length >= this.options.maxQueue) {
      this.metrics.dropped.inc();
      return false;
    }
    this.queue.push(record);
    return true;
  }

  get depth(): number {
    return this.queue.length;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  /** Writes everything queued so far; concurrent calls share one pass. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    this.metrics.queued.set(this.queue.length);
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.batchSize);
      try {
        // The same request id and role twice (a retried client id) keeps the first record.
        await this.db
          .insertInto('predictions')
          .values(batch.map(toRow))
          .onConflict((oc) => oc.columns(['request_id', 'role']).doNothing())
          .execute();
        this.metrics.written.inc(batch.length);
      } catch (err) {
        // The database refused the batch: count it as dropped, say why, keep serving.
        this.metrics.dropped.inc(batch.length);
        this.logger.error({ err, records: batch.length }, 'prediction log batch could not be written');
        break;
      }
    }
    this.metrics.queued.set(this.queue.length);
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Deletes records older than `days` (retention); returns how many went. */
  async purge(days: number, now = Date.now()): Promise<number> {
    const cutoff = new Date(now - days * 86_400_000).toISOString();
    const r = await this.db.deleteFrom('predictions').where('time', '<', cutoff).executeTakeFirst();
    await this.db.deleteFrom('feedback').where('received_at', '<', cutoff).execute();
    return Number(r.numDeletedRows ?? 0);
  }
}
