import type { Kysely } from 'kysely';
import { CreateMonitorRequest, type Monitor, type MonitorResult, type QualityReport } from '../contracts/monitoring.js';
import { AppError } from '../shared/app-error.js';
import { type Clock, isoNow } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { parseInput } from '../shared/parse.js';
import type { DB, MonitorsTable, Writes } from '../storage/index.js';
import { isUniqueViolation } from '../storage/index.js';
import type { AlertService } from './alert-service.js';
import { type Breach, DEFAULT_EVALUATORS, type DriftSection, once, type WindowEvaluator, type WindowInput } from './evaluators/index.js';
import { storedState, toMonitor, toResult, toRow } from './monitor-results.js';
import type { QualityService } from './quality-service.js';
import type { ReferenceService } from './reference-service.js';
import type { PredictionStore } from './prediction-store.js';
import { periodic } from '../shared/periodic.js';

/**
 * Runs one monitor's pass, or not: several nodes share the monitors, and each deployment's windows
 * are evaluated by the one process holding its lease.
 */
export type MonitorGuard = (deployment: string, pass: () => Promise<void>) => Promise<unknown>;

/**
 * Monitors: each closes a window on a fixed grid (multiples of its length) or every N requests,
 * runs its evaluators on it (drift, data quality, quality, …: `evaluators/`), stores one result per
 * window (the primary key makes several processes evaluating the same window harmless), and
 * publishes `monitor.alert` when something newly breached.
 */
export class MonitorService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly references: ReferenceService,
    private readonly quality: QualityService,
    private readonly writes: Writes,
    private readonly logger: Logger,
    private readonly alerts: AlertService,
    private readonly log: PredictionStore,
    /** The checks every window gets, in order (drift, data quality, quality by default). */
    private readonly evaluators: readonly WindowEvaluator[] = DEFAULT_EVALUATORS,
  ) {}

  async create(input: unknown): Promise<Monitor> {
    const req = parseInput(CreateMonitorRequest, input);
    const dep = await this.db.selectFrom('deployments').select('name').where('name', '=', req.deployment).executeTakeFirst();
    if (!dep) throw new AppError('not_found', `deployment ${req.deployment} not found`, { deployment: req.deployment });
    const row: MonitorsTable = {
      deployment: req.deployment,
      window_seconds: req.windowRows ? 0 : req.windowSeconds,
      window_rows: req.windowRows ?? null,
      thresholds: JSON.stringify(req.thresholds), created_at: isoNow(this.clock) };
    try {
      await this.db.insertInto('monitors').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('already_exists', `deployment ${req.deployment} already has a monitor`);
      throw err;
    }
    return toMonitor(row);
  }

  /** The deployments that have a monitor. */
  async watched(): Promise<string[]> {
    return (await this.db.selectFrom('monitors').select('deployment').orderBy('deployment').execute()).map((r) => r.deployment);
  }

  async get(deployment: string): Promise<Monitor> {
    const r = await this.db.selectFrom('monitors').selectAll().where('deployment', '=', deployment).executeTakeFirst();
    if (!r) throw new AppError('not_found', `deployment ${deployment} has no monitor`, { deployment });
    return toMonitor(r);
  }

  async results(deployment: string, limit = 100): Promise<MonitorResult[]> {
    await this.get(deployment);
    const rows = await this.db.selectFrom('monitor_results').selectAll().where('deployment', '=', deployment).orderBy('window_end', 'desc').limit(limit).execute();
    return rows.map(toResult);
  }

  /**
   * Count windows: each closes once `windowRows` more primary requests are logged after the last
   * closed window; it spans the first to the last of them. A monitor that fell more than three
   * windows behind (traffic outpacing evaluation) skips to the newest complete window instead of
   * evaluating stale ones; the skipped requests are logged.
   */
  private async evaluateCountWindows(m: Monitor): Promise<MonitorResult[]> {
    const written: MonitorResult[] = [];
    const n = m.windowRows!;
    // Times of the primary records logged since the last closed window, oldest first: read once,
    // as each later window starts where the one before ended.
    let logged: number[] | undefined;
    for (let i = 0; i < 3; i++) {
      const last = await this.db.selectFrom('monitor_results').select('window_end').where('deployment', '=', m.deployment).orderBy('window_end', 'desc').limit(1).executeTakeFirst();
      const since = last?.window_end ?? m.createdAt;
      if (!logged) {
        logged = [];
        for await (const r of this.log.scan({ deployment: m.deployment, since, role: 'primary' })) logged.push(r.time);
        logged.reverse();
      }
      const start = Date.parse(since);
      const first = logged.findIndex((t) => t >= start);
      const times = first < 0 ? [] : logged.slice(first);
      const count = times.length;
      if (count < n) break;
      let rows = times.slice(0, n);
      if (count >= 4 * n) {
        rows = times.slice(count - n);
        this.logger.warn({ deployment: m.deployment, skipped: count - n }, 'monitor fell behind; evaluating the newest window only');
      }
      const r = await this.evaluate(m, new Date(rows[0]!), new Date(rows[rows.length - 1]! + 1));
      if (!r) break;
      written.push(r);
    }
    return written;
  }

  /**
   * Evaluates the last closed window of every monitor (if not done yet), then judges the newest
   * window again where labels arrived since; returns results written or rewritten.
   */
  async evaluateDue(now = this.clock.now(), guard: MonitorGuard = (_deployment, pass) => pass()): Promise<MonitorResult[]> {
    const written: MonitorResult[] = [];
    for (const m of (await this.db.selectFrom('monitors').selectAll().execute()).map(toMonitor)) {
      await guard(m.deployment, async () => {
        if (m.windowRows !== null) written.push(...(await this.evaluateCountWindows(m)));
        else {
          const size = m.windowSeconds! * 1000;
          const end = new Date(Math.floor(now.getTime() / size) * size);
          const start = new Date(end.getTime() - size);
          const r = await this.evaluate(m, start, end);
          if (r) written.push(r);
        }
        const again = await this.reassessNewest(m, now);
        if (again) written.push(again);
      });
    }
    return written;
  }

  /** When each deployment's labels were last looked at, so a pass without new labels costs one count. */
  private readonly labelsSeen = new Map<string, string>();

  /**
   * Labels usually arrive after their window was judged. The newest window of a monitor is judged
   * again when labels arrived since the last look and its realised quality changed: its result,
   * its alerts and a new `monitor.window` event (`reassessed: true`) then reflect them, so a
   * quality breach found late still raises the alert and the retraining trigger. Older windows
   * keep the result they were given.
   */
  private async reassessNewest(m: Monitor, now: Date): Promise<MonitorResult | null> {
    const since = this.labelsSeen.get(m.deployment);
    // A minute of overlap: a label committed just after one look, stamped just before it, is still seen.
    this.labelsSeen.set(m.deployment, new Date(now.getTime() - 60_000).toISOString());
    if (since !== undefined) {
      const fresh = await this.db
        .selectFrom('feedback')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('deployment', '=', m.deployment)
        .where('received_at', '>=', since)
        .executeTakeFirst();
      if (Number(fresh?.n ?? 0) === 0) return null;
    }
    const newest = await this.db
      .selectFrom('monitor_results')
      .select(['window_start', 'window_end', 'quality'])
      .where('deployment', '=', m.deployment)
      .orderBy('window_end', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!newest) return null;
    const q = await this.quality.report(m.deployment, { since: newest.window_start, until: newest.window_end });
    if ((q.metrics ? JSON.stringify(q.metrics) : null) === newest.quality) return null;
    return this.evaluate(m, new Date(newest.window_start), new Date(newest.window_end), { reassess: true, quality: q });
  }

  /**
   * Evaluates one window of a monitor and stores its result; null when it was already stored,
   * unless `reassess` asks to judge it again and replace the result (with the window's `quality`
   * report when the caller has just computed it). Each evaluator adds its section and breaches.
   */
  async evaluate(m: Monitor, start: Date, end: Date, options: { reassess?: boolean; quality?: QualityReport } = {}): Promise<MonitorResult | null> {
    const done = await this.db.selectFrom('monitor_results').select('window_end').where('deployment', '=', m.deployment).where('window_end', '=', end.toISOString()).executeTakeFirst();
    if (done && !options.reassess) return null;
    const window = { since: start.toISOString(), until: end.toISOString() };
    const sections: Record<string, unknown> = {};
    const state: Record<string, unknown> = {};
    const breaches: Breach[] = [];
    const inspection = once(() => this.references.inspect(m.deployment, window, m.thresholds));
    const quality = once(async () => options.quality ?? (await this.quality.report(m.deployment, window)));
    const before = once(() =>
      this.db.selectFrom('monitor_results').select('sections').where('deployment', '=', m.deployment).where('window_end', '<=', window.since).orderBy('window_end', 'desc').limit(1).executeTakeFirst(),
    );
    for (const e of this.evaluators) {
      const input: WindowInput = {
        monitor: m,
        start,
        end,
        window,
        reassess: options.reassess === true,
        inspection,
        quality,
        section: (name) => sections[name] ?? null,
        previous: async () => storedState(await before(), e.name),
      };
      const out = await e.evaluate(input);
      sections[e.name] = out.section;
      if (out.state !== undefined) state[e.name] = out.state;
      breaches.push(...out.breaches);
    }
    const row = toRow(m.deployment, start, end, sections, state, breaches.map((b) => b.message));
    // The result, the alerts it opens or resolves, and their events commit together; several
    // processes evaluating the same window leave one result (the primary key), and only the one
    // that inserted it writes the rest.
    return this.writes.run({
      by: { actor: 'sextant:monitor' },
      permission: 'internal',
      apply: async (tx) => {
        const inserted = await tx.db
          .insertInto('monitor_results')
          .values(row)
          .onConflict((oc) =>
            options.reassess
              ? oc.columns(['deployment', 'window_end']).doUpdateSet({ drift: row.drift, quality: row.quality, alert: row.alert, sections: row.sections })
              : oc.columns(['deployment', 'window_end']).doNothing(),
          )
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return null;
        // Every window is an event (retraining reacts to breaches that continue); alerts are published
        // only when newly opened: a breach that continues is folded into its alert.
        const opened = await this.alerts.observe(tx.db, tx.now, m.deployment, row.window_end, breaches, this.evaluators.flatMap((e) => e.rules));
        tx.emit({
          type: 'monitor.window',
          subject: m.deployment,
          data: {
            windowStart: row.window_start,
            windowEnd: row.window_end,
            breaches,
            driftedShare: (sections.drift as DriftSection | undefined)?.driftedShare ?? 0,
            quality: (sections.quality as QualityReport['metrics'] | undefined) ?? null,
            ...(options.reassess ? { reassessed: true } : {}),
          },
        });
        for (const a of opened) {
          tx.emit({
            type: 'monitor.alert',
            subject: m.deployment,
            data: { alert: a.id, rule: a.rule, reason: a.message, windowStart: row.window_start, windowEnd: row.window_end, ...(a.report ? { report: a.report } : {}) },
          });
        }
        return toResult(row);
      },
    });
  }

  /**
   * Sets the monitoring gauges from the database at scrape time, so every process exports the
   * same figures whichever process evaluated the window.
   */
  async exportGauges(g: {
    driftScore: { reset(): void; labels(...l: string[]): { set(v: number): void } };
    featureDrifted: { reset(): void; labels(...l: string[]): { set(v: number): void } };
    alertsOpen: { reset(): void; labels(...l: string[]): { set(v: number): void } };
  }): Promise<void> {
    g.driftScore.reset();
    g.featureDrifted.reset();
    g.alertsOpen.reset();
    for (const m of await this.db.selectFrom('monitors').select('deployment').execute()) {
      const latest = await this.db.selectFrom('monitor_results').select('drift').where('deployment', '=', m.deployment).orderBy('window_end', 'desc').limit(1).executeTakeFirst();
      const drift = latest?.drift ? (JSON.parse(latest.drift) as { features?: { feature: string; test: string; statistic: number | null; pValue: number | null; drifted: boolean }[] }) : null;
      for (const f of drift?.features ?? []) {
        const score = f.pValue ?? f.statistic;
        if (typeof score === 'number') g.driftScore.labels(m.deployment, f.feature, f.test).set(score);
        g.featureDrifted.labels(m.deployment, f.feature).set(f.drifted ? 1 : 0);
      }
    }
    const open = await this.db
      .selectFrom('alerts')
      .select(['deployment', 'rule', (eb) => eb.fn.countAll().as('n')])
      .where('status', 'in', ['open', 'acked'])
      .groupBy(['deployment', 'rule'])
      .execute();
    for (const r of open) g.alertsOpen.labels(r.deployment, r.rule).set(Number(r.n));
  }

  /** Evaluates due windows every `intervalMs`, each monitor's only where `guard` runs it (its lease). */
  start(intervalMs = 5000, guard?: MonitorGuard): void {
    this.timer = periodic(() => this.evaluateDue(undefined, guard), intervalMs, (err) => this.logger.warn({ err }, 'monitor pass failed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
