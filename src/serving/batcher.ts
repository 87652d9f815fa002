import type { FeatureBatch, OutputTensor, Predictor } from '../runtime/index.js';
import { Overloaded } from './overload.js';

interface Pending {
  batch: FeatureBatch;
  resolve: (o: OutputTensor[]) => void;
  reject: (e: unknown) => void;
}

function concat(batches: FeatureBatch[]): FeatureBatch {
  const rows = batches.reduce((s, b) => s + b.rows, 0);
  const width = batches[0]!.columns.length;
  const columns = Array.from({ length: width }, (_, c) => {
    if (Array.isArray(batches[0]!.columns[c])) return batches.flatMap((b) => b.columns[c] as string[]);
    const out = new Float64Array(rows);
    let at = 0;
    for (const b of batches) {
      out.set(b.columns[c] as Float64Array, at);
      at += b.rows;
    }
    return out;
  });
  return { rows, columns };
}

/** Slices rows [from, from + n) out of every output. */
export function sliceOutputs(outputs: OutputTensor[], from: number, n: number): OutputTensor[] {
  return outputs.map((o) => {
    const width = o.shape.slice(1).reduce((a, b) => a * b, 1);
    return { ...o, shape: [n, ...o.shape.slice(1)], data: o.data.slice(from * width, (from + n) * width) as OutputTensor['data'] };
  });
}

/** A batcher holds at most this many times `maxBatchSize` rows, waiting or being scored. */
export const BATCH_QUEUE_FACTOR = 64;

/**
 * Adaptive batching: requests arriving within `maxLatencyMs` (or until `maxBatchSize` rows) share
 * one runtime call and get their own rows back. If the combined call fails, each request is retried
 * alone so one bad request cannot fail its neighbours. Batches are not awaited before the next is
 * formed, so the rows waiting or being scored are bounded: beyond BATCH_QUEUE_FACTOR ×
 * maxBatchSize a request is refused with 429 rather than queued behind a model that cannot keep up.
 */
export class Batcher {
  private queue: Pending[] = [];
  private rows = 0;
  /** Rows submitted and not yet answered: the queue plus batches the model is scoring. */
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly predictor: Predictor,
    private readonly maxBatchSize: number,
    private readonly maxLatencyMs: number,
    private readonly onFlush: (rows: number) => void = () => {},
    private readonly onDepth: (requests: number) => void = () => {},
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  submit(batch: FeatureBatch): Promise<OutputTensor[]> {
    const limit = BATCH_QUEUE_FACTOR * this.maxBatchSize;
    // One request larger than the bound still runs when nothing else waits.
    if (this.pending > 0 && this.pending + batch.rows > limit) {
      return Promise.reject(new Overloaded('batch_queue', `the deployment's batch queue holds ${this.pending} rows, its limit is ${limit}; retry shortly`));
    }
    this.pending += batch.rows;
    const done = () => (this.pending -= batch.rows);
    return new Promise<OutputTensor[]>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.rows += batch.rows;
      this.onDepth(this.queue.length);
      if (this.rows >= this.maxBatchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxLatencyMs);
    }).finally(done);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.queue;
    this.queue = [];
    this.rows = 0;
    this.onDepth(0);
    if (items.length === 0) return;
    const combined = items.length === 1 ? items[0]!.batch : concat(items.map((i) => i.batch));
    this.onFlush(combined.rows);
    this.predictor.predict(combined).then(
      (outputs) => {
        let at = 0;
        for (const item of items) {
          item.resolve(items.length === 1 ? outputs : sliceOutputs(outputs, at, item.batch.rows));
          at += item.batch.rows;
        }
      },
      (err) => {
        if (items.length === 1) return items[0]!.reject(err);
        for (const item of items) this.predictor.predict(item.batch).then(item.resolve, item.reject);
      },
    );
  }
}
