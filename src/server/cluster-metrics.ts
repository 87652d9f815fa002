import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** A process's metrics as `registry.getMetricsAsJSON()` gives them. */
type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Scraped worker → primary: gather the other processes' metrics. */
const REQUEST = 'sextant-metrics-request';
/** Primary → each other process: send your metrics. */
const COLLECT = 'sextant-metrics-collect';
/** Other process → primary: its metrics. */
const REPORT = 'sextant-metrics-report';
/** Primary → scraped worker: what the others sent. */
const GATHERED = 'sextant-metrics-gathered';

interface Message {
  type: string;
  id: number;
  metrics?: MetricsJson | MetricsJson[];
}

const asMessage = (m: unknown): Message | undefined => (typeof m === 'object' && m !== null && typeof (m as Message).type === 'string' ? (m as Message) : undefined);

/** A process that has not answered in this long is left out of the scrape rather than holding it up. */
const GATHER_TIMEOUT_MS = 1500;

/** In every cluster process (serving and jobs): answer the primary's requests for this process's metrics. */
export function reportMetricsToPrimary(registry: Registry): void {
  process.on('message', (raw) => {
    const m = asMessage(raw);
    if (m?.type !== COLLECT) return;
    const reply = (metrics: MetricsJson) => process.send?.({ type: REPORT, id: m.id, metrics } satisfies Message);
    registry.getMetricsAsJSON().then(reply, () => reply([]));
  });
}

/**
 * In the primary: the listener for `cluster.on('message')` that serves a scraped worker's request
 * by asking every other running process (`running`) for its metrics and sending back what arrived
 * within the timeout.
 */
export function gatherMetricsForWorkers(running: (w: Worker) => boolean): (from: Worker, message: unknown) => void {
  let next = 0;
  const pending = new Map<number, { left: number; metrics: MetricsJson[]; finish(): void }>();
  return (from, raw) => {
    const m = asMessage(raw);
    if (m?.type === REPORT) {
      const p = pending.get(m.id);
      if (!p) return;
      p.metrics.push(m.metrics as MetricsJson);
      if (--p.left === 0) p.finish();
      return;
    }
    if (m?.type !== REQUEST) return;
    const others = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w !== from && w.isConnected() && running(w));
    const id = next++;
    const gathered: MetricsJson[] = [];
    const finish = () => {
      clearTimeout(timer);
      pending.delete(id);
      if (from.isConnected()) from.send({ type: GATHERED, id: m.id, metrics: gathered } satisfies Message);
    };
    const timer = setTimeout(finish, GATHER_TIMEOUT_MS);
    pending.set(id, { left: others.length, metrics: gathered, finish });
    if (others.length === 0) return finish();
    for (const w of others) w.send({ type: COLLECT, id } satisfies Message);
  };
}

let asked = 0;
const waiting = new Map<number, (metrics: MetricsJson[]) => void>();

/** Asks the primary for every other process's metrics (none when it does not answer in time). */
function othersMetrics(): Promise<MetricsJson[]> {
  if (asked === 0) {
    process.on('message', (raw) => {
      const m = asMessage(raw);
      if (m?.type === GATHERED) waiting.get(m.id)?.(m.metrics as MetricsJson[]);
    });
  }
  const id = ++asked;
  return new Promise((resolve) => {
    const done = (metrics: MetricsJson[]) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(metrics);
    };
    const timer = setTimeout(() => done([]), GATHER_TIMEOUT_MS * 2);
    waiting.set(id, done);
    process.send?.({ type: REQUEST, id } satisfies Message);
  });
}

/**
 * The text of `/metrics`. Alone, this process's registry; under `--workers N`, the sum over every
 * process of the cluster (prom-client's aggregation: counters and histograms add up, gauges marked
 * `first` are the scraped process's own), so one scrape sees totals whichever worker answers it.
 */
export async function scrapeMetrics(registry: Registry): Promise<string> {
  if (!cluster.isWorker || !process.send) return registry.metrics();
  const own = await registry.getMetricsAsJSON();
  const others = await othersMetrics();
  return AggregatorRegistry.aggregate([own, ...others]).metrics();
}
