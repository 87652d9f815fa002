import type { Kysely } from 'kysely';
import { TrafficQuery, type TrafficPoint, type TrafficSeries } from '../contracts/dashboard.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { parseInput } from '../shared/parse.js';
import type { DB } from '../storage/index.js';
import { type Histogram, mergeInto, quantile } from './latency-histogram.js';
import { TRAFFIC_STEP_SECONDS } from './traffic-recorder.js';

const MAX_POINTS = 10_000;
const DEFAULT_POINTS = 360;

/** A deployment's traffic over the last complete steps, for the overview. */
export interface RecentTraffic {
  windowSeconds: number;
  requestsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  errorRate: number | null;
  shed: number;
}

interface Totals {
  requests: number;
  errors: number;
  invalid: number;
  shed: number;
  histogram: Histogram;
  versions: Map<number, number>;
}

const emptyTotals = (): Totals => ({ requests: 0, errors: 0, invalid: 0, shed: 0, histogram: new Map(), versions: new Map() });

interface SampleRow {
  deployment: string;
  version: number;
  second: number;
  count: number;
  errors: number;
  invalid: number;
  shed: number;
  histogram: string;
}

function add(t: Totals, r: SampleRow): void {
  t.requests += Number(r.count);
  t.errors += Number(r.errors);
  t.invalid += Number(r.invalid);
  t.shed += Number(r.shed);
  if (Number(r.count) > 0) {
    mergeInto(t.histogram, JSON.parse(r.histogram) as Record<string, number>);
    t.versions.set(Number(r.version), (t.versions.get(Number(r.version)) ?? 0) + Number(r.count));
  }
}

const quantileOrNull = (t: Totals, q: number) => (t.requests > 0 ? quantile(t.histogram, q) : null);

/**
 * Reads the traffic every serving process flushed (`TrafficRecorder`), summed across processes:
 * a series per step for the charts, and the last minute per deployment for the overview. The
 * step in progress is not in the database yet, so the newest point is at most one step and a
 * flush old.
 */
export class TrafficHistory {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  private rows(deployments: string[], from: number, to: number): Promise<SampleRow[]> {
    return this.db
      .selectFrom('traffic_samples')
      .select(['deployment', 'version', 'second', 'count', 'errors', 'invalid', 'shed', 'histogram'])
      .where('deployment', 'in', deployments)
      .where('second', '>=', from)
      .where('second', '<', to)
      .execute();
  }

  /** One point per step between `since` and `until`, zero where nothing was served. */
  async series(deployment: string, query: unknown): Promise<TrafficSeries> {
    const q = parseInput(TrafficQuery, query ?? {}, 'query');
    // Seconds, with their fraction: the step holding `until` is the last point.
    const until = (q.until ? Date.parse(q.until) : this.clock.now().getTime()) / 1000;
    const since = q.since ? Date.parse(q.since) / 1000 : until - 3600;
    if (since >= until) throw new AppError('invalid_argument', 'query.since must be before query.until', { field: 'query.since' });
    const step = q.step ?? Math.max(1, Math.ceil((until - since) / DEFAULT_POINTS / TRAFFIC_STEP_SECONDS)) * TRAFFIC_STEP_SECONDS;
    if (step % TRAFFIC_STEP_SECONDS !== 0) {
      throw new AppError('invalid_argument', `query.step must be a multiple of ${TRAFFIC_STEP_SECONDS} seconds`, { field: 'query.step' });
    }
    const first = Math.floor(since / step) * step;
    const count = Math.ceil((until - first) / step);
    if (count > MAX_POINTS) {
      throw new AppError('invalid_argument', `query.step gives ${count} points; at most ${MAX_POINTS} (choose a larger step)`, { field: 'query.step' });
    }
    const totals = Array.from({ length: count }, emptyTotals);
    for (const r of await this.rows([deployment], first, first + count * step)) add(totals[Math.floor((Number(r.second) - first) / step)]!, r);
    const points: TrafficPoint[] = totals.map((t, i) => ({
      time: new Date((first + i * step) * 1000).toISOString(),
      requests: t.requests,
      errors: t.errors,
      invalid: t.invalid,
      shed: t.shed,
      p50Ms: quantileOrNull(t, 0.5),
      p99Ms: quantileOrNull(t, 0.99),
      versions: Object.fromEntries([...t.versions].map(([v, n]) => [String(v), n])),
    }));
    return { deployment, since: new Date(since * 1000).toISOString(), until: new Date(until * 1000).toISOString(), stepSeconds: step, points };
  }

  /** Each deployment's traffic over the last `windowSeconds` of complete steps. */
  async recent(deployments: string[], windowSeconds = 60): Promise<Map<string, RecentTraffic>> {
    const end = Math.floor(this.clock.now().getTime() / 1000 / TRAFFIC_STEP_SECONDS) * TRAFFIC_STEP_SECONDS;
    const byDeployment = new Map(deployments.map((d) => [d, emptyTotals()]));
    if (deployments.length > 0) for (const r of await this.rows(deployments, end - windowSeconds, end)) add(byDeployment.get(r.deployment)!, r);
    return new Map(
      [...byDeployment].map(([d, t]) => [
        d,
        {
          windowSeconds,
          requestsPerSecond: t.requests / windowSeconds,
          p50Ms: quantileOrNull(t, 0.5),
          p99Ms: quantileOrNull(t, 0.99),
          errorRate: t.requests > 0 ? t.errors / t.requests : null,
          shed: t.shed,
        },
      ]),
    );
  }
}
