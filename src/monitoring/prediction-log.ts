import type { Kysely } from 'kysely';
import type { Counter, Gauge } from 'prom-client';
import type { FeatureBatch, OutputTensor } from '../runtime/index.js';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import type { LogWriter } from './log-writers.js';

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
  /** Input rows waiting at most (the memory bound); beyond it new records are dropped and counted. */
  maxQueue: number;
  /** Records per insert (and at most twice as many input rows). */
  batchSize: number;
  /** How often the writer flushes. */
  flushMs: number;
}

/** Batches written at once at most. */
const MAX_IN_FLIGHT = 4;

export interface PredictionLogMetrics {
  queued: Gauge;
  dropped: Counter;
  written: Counter;
}

/**
 * The prediction log writer: the hot path pushes a record into a bounded queue and returns; a
 * timer serialises and inserts batches. A full queue drops the record and counts it (exported
 * as a metric), so logging can slow nothing down and loses nothing silently.
 */
export class PredictionLog {
  private queue: PredictionRecord[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly writer: LogWriter,
    private readonly options: PredictionLogOptions,
    private readonly metrics: PredictionLogMetrics,
    private readonly logger: Logger,
  ) {}

  /** Queues a record; false when the queue is full and the record was dropped. */
  enqueue(record: PredictionRecord): boolean {
    const rows = record.batch?.rows ?? 1;
    if (this.queuedRows + rows > this.options.maxQueue) {
      this.metrics.dropped.inc();
      return false;
    }
    this.queue.push(record);
    this.queuedRows += rows;
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
    // Several batches in flight: a writer in another process (or a PostgreSQL pool) answers after
    // a round trip, and waiting for each answer capped the log at a few batches per round trip.
    const inflight = new Set<Promise<void>>();
    let refused = false;
    while (this.queue.length > 0 && !refused) {
      // Bounded by records and by rows: one insert of many wide requests would block the loop.
      let take = 0;
      let rows = 0;
      while (take < this.queue.length && take < this.options.batchSize && rows < this.options.batchSize * 2) rows += this.queue[take++]!.batch?.rows ?? 1;
      const batch = this.queue.splice(0, take);
      this.queuedRows -= rows;
      const write: Promise<void> = this.writer
        .write(batch)
        .then(
          // The same request id and role twice (a retried client id) keeps the first record.
          (n) => void this.metrics.written.inc(n),
          (err: unknown) => {
            // The database refused the batch: count it as dropped, say why, keep serving.
            this.metrics.dropped.inc(batch.length);
            this.logger.error({ err, records: batch.length }, 'prediction log batch could not be written');
            refused = true;
          },
        )
        .finally(() => inflight.delete(write));
      inflight.add(write);
      if (inflight.size >= MAX_IN_FLIGHT) await Promise.race(inflight);
      // Serialising is synchronous: give waiting requests the loop between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(inflight);
    this.metrics.queued.set(this.queue.length);
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.writer.close();
  }

  /** Deletes records older than `days` (retention); returns how many went. */
  async purge(days: number, now = Date.now()): Promise<number> {
    const cutoff = new Date(now - days * 86_400_000).toISOString();
    const r = await this.db.deleteFrom('predictions').where('time', '<', cutoff).executeTakeFirst();
    await this.db.deleteFrom('feedback').where('received_at', '<', cutoff).execute();
    return Number(r.numDeletedRows ?? 0);
  }
}
