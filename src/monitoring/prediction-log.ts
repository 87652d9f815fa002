import type { Counter, Gauge } from 'prom-client';
import type { FeatureBatch, OutputTensor } from '../runtime/index.js';
import type { Logger } from '../shared/logger.js';
import type { LogWriter } from './log-writers.js';
import { releaseBody } from './segment-body.js';
import { SegmentBuilder } from './segment-builder.js';
import type { PredictionStore } from './prediction-store.js';

/** One inference as the hot path hands it over; the log copies what it keeps at once. */
export interface PredictionRecord {
  requestId: string;
  /**
   * True when this process made the request id (`newRequestId`) rather than taking the caller's:
   * unique by construction, so the log finds it by its counter instead of indexing it.
   */
  ownRequestId?: boolean;
  role: 'primary' | 'shadow';
  deployment: string;
  model: string;
  version: number | null;
  /** Epoch milliseconds. */
  time: number;
  features: readonly string[];
  batch: FeatureBatch | null;
  outputs: OutputTensor[] | null;
  latencyMs: number;
  error: string | null;
  redact: readonly string[];
  /** Personal-data features: logged as keyed hashes (`PiiHasher.protect`), never as values. */
  pii?: readonly string[];
}

export interface PredictionLogOptions {
  /** Input rows waiting at most (the memory bound); beyond it new records are dropped and counted. */
  maxQueue: number;
  /** Records per segment at most. */
  batchSize: number;
  /** Input rows per segment at most (a record without inputs counts as one). */
  batchRows: number;
  /** How often the writer flushes what is queued; a full batch is flushed at once. */
  flushMs: number;
}

/**
 * How large the server lets a segment grow. Each segment costs a fixed amount (a blob file, a
 * message to the process that inserts rows, a row and its transaction), so under load larger ones
 * are cheaper: from 1,000 records written every 100 ms to these, written every 250 ms (the default
 * of `SEXTANT_LOG_FLUSH_MS`), the primary's CPU per logged 1-row request fell from about 2.2 to
 * 0.8 µs. The input-row bound keeps a 64-row segment at 2.6 MB.
 */
export const SEGMENT_BOUNDS = { batchSize: 4000, batchRows: 16_000 } as const;

/**
 * Segments in flight to the writer at most. A write takes several turns of the event loop (hash,
 * file, rename, the primary's insert and answer), each milliseconds long under load: with 4 in
 * flight, 64-row load at 6,000 req/s waited up to 0.6 s for a write and filled the queue.
 */
const MAX_IN_FLIGHT = 8;

export interface PredictionLogMetrics {
  queued: Gauge;
  dropped: Counter;
  written: Counter;
}

/**
 * The prediction log writer: the hot path copies a record into the open segment of its
 * deployment and returns; a timer, or a segment filling up, hands segments to the writer. A full
 * queue drops the record and counts it (exported as a metric), so logging can slow nothing down
 * and loses nothing silently.
 */
export class PredictionLog {
  /** The segment being filled, per deployment. */
  private open = new Map<string, SegmentBuilder>();
  /** Segments waiting for the writer, oldest first. */
  private sealed: SegmentBuilder[] = [];
  private queuedRows = 0;
  private queuedRecords = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private flushSoon = false;

  constructor(
    private readonly log: PredictionStore,
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
    let b = this.open.get(record.deployment);
    if (!b?.add(record)) {
      if (b) this.seal(b);
      this.open.set(record.deployment, (b = new SegmentBuilder(record.deployment, record.model)));
      b.add(record);
    }
    this.queuedRows += rows;
    this.queuedRecords++;
    // A full segment is written at once rather than at the next tick, so segments keep their
    // size under load; so is everything once the queue is half full, so it never waits on the
    // timer to make room.
    const full = b.records >= this.options.batchSize || b.rows >= this.options.batchRows;
    if (full) this.seal(b);
    if (full || this.queuedRows * 2 >= this.options.maxQueue) {
      if (!this.flushSoon) {
        this.flushSoon = true;
        setImmediate(() => {
          this.flushSoon = false;
          void this.flush();
        });
      }
    }
    return true;
  }

  private seal(b: SegmentBuilder): void {
    this.open.delete(b.deployment);
    this.sealed.push(b);
  }

  /** Records waiting to be written. */
  get depth(): number {
    return this.queuedRecords;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  /** Writes everything queued so far: waits for a pass under way, then writes what it left. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.queuedRecords === 0) return;
    this.flushing = this.drain().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async drain(): Promise<void> {
    this.metrics.queued.set(this.queuedRecords);
    // What is queued now, not what arrives meanwhile: under load a pass that kept going would
    // write a stream of small segments, and each (a row, a transaction) has a fixed cost.
    for (const b of [...this.open.values()]) this.seal(b);
    const batches = this.sealed;
    this.sealed = [];
    // Several segments in flight: a writer in another process (or a PostgreSQL pool) answers
    // after a round trip, and waiting for each answer capped the log at a few per round trip.
    const inflight = new Set<Promise<void>>();
    let refused = false;
    let i = 0;
    for (; i < batches.length && !refused; i++) {
      const b = batches[i]!;
      this.queuedRows -= b.rows;
      this.queuedRecords -= b.records;
      const draft = b.draft();
      const write: Promise<void> = this.writer
        .write([draft])
        .then(
          // The same request id twice (a retried client id) keeps the first record.
          (n) => void this.metrics.written.inc(n),
          (err: unknown) => {
            // The database refused the segment: count it as dropped, say why, keep serving.
            this.metrics.dropped.inc(b.records);
            this.logger.error({ err, records: b.records }, 'prediction log batch could not be written');
            refused = true;
          },
        )
        .finally(() => {
          inflight.delete(write);
          releaseBody(draft.body);
        });
      inflight.add(write);
      if (inflight.size >= MAX_IN_FLIGHT) await Promise.race(inflight);
      // Encoding is synchronous: give waiting requests the loop between segments.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // After a refusal, what was not handed over waits for the next pass.
    this.sealed = [...batches.slice(i), ...this.sealed];
    await Promise.all(inflight);
    this.metrics.queued.set(this.queuedRecords);
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
    return this.log.purge(cutoff);
  }
}
