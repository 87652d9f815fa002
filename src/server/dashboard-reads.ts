import type { App } from '../app.js';
import type { Alert } from '../contracts/alerts.js';
import type { AuditEvent } from '../contracts/audit.js';
import { type DeploymentHealth, type Overview, type Timeline, TimelineQuery } from '../contracts/dashboard.js';
import type { Deployment } from '../contracts/deployments.js';
import type { MonitorResult } from '../contracts/monitoring.js';
import { buildTimeline, deploymentsOfModel, type RecentTraffic } from '../serving/index.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';

// The dashboard's reads that span modules: each module answers its own part, these functions only
// put the answers side by side.

const RECENT_SECONDS = 60;
const AUDIT_PAGE = 1000;
const MAX_AUDIT_PAGES = 5;

/** Estimated quality of a closed window does not change, so it is computed once per process. */
export type EstimateCache = Map<string, Record<string, number> | null>;

function statusOf(d: Deployment, t: RecentTraffic, latest: MonitorResult | undefined, alerts: Alert[]): Pick<DeploymentHealth, 'status' | 'reasons'> {
  const critical: string[] = [];
  const warning: string[] = [];
  for (const a of alerts) (a.rule === 'accuracy' || a.rule === 'rmse' ? critical : warning).push(`${a.rule.replace('_', ' ')} alert open for ${a.windows} window${a.windows === 1 ? '' : 's'}`);
  const maxErrors = d.slo?.maxErrorRate ?? 0.05;
  if (t.errorRate !== null && t.errorRate > maxErrors) critical.push(`error rate ${(t.errorRate * 100).toFixed(1)} % over ${(maxErrors * 100).toFixed(1)} %`);
  else if (t.errorRate !== null && t.errorRate > 0.01) warning.push(`error rate ${(t.errorRate * 100).toFixed(1)} %`);
  if (d.slo?.p99LatencyMs !== undefined && t.p99Ms !== null && t.p99Ms > d.slo.p99LatencyMs) critical.push(`p99 ${t.p99Ms.toFixed(1)} ms over the SLO's ${d.slo.p99LatencyMs} ms`);
  if (t.shed > 0) warning.push(`${t.shed} requests shed in the last minute`);
  if (latest?.drift?.drifted) warning.push(`drift in the newest monitor window (${Math.round(latest.drift.driftedShare * 100)} % of features)`);
  if (d.lastEvent?.action === 'slo-rollback') warning.push(`canary rolled back by the SLO guard: ${d.lastEvent.reason ?? ''}`.trim());
  if (critical.length > 0) return { status: 'critical', reasons: [...critical, ...warning] };
  if (warning.length > 0) return { status: 'warning', reasons: warning };
  return { status: t.requestsPerSecond > 0 ? 'ok' : 'idle', reasons: [] };
}

async function estimated(app: App, cache: EstimateCache, deployment: string, w: MonitorResult): Promise<Record<string, number> | null> {
  const key = `${deployment}|${w.windowStart}|${w.windowEnd}`;
  if (!cache.has(key)) {
    const report = await app.monitoring.quality.report(deployment, { since: w.windowStart, until: w.windowEnd }).catch(() => null);
    if (cache.size > 1000) cache.clear();
    cache.set(key, report?.estimated ?? null);
  }
  return cache.get(key) ?? null;
}

/** A deployment's newest monitor window (undefined before the first); null without a monitor. */
async function newestWindow(app: App, deployment: string): Promise<MonitorResult | undefined | null> {
  try {
    return (await app.monitoring.monitors.results(deployment, 1))[0];
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') return null;
    throw err;
  }
}

/** Every deployment's health: last minute of traffic, newest monitor window, open alerts, a status. */
export async function overview(app: App, cache: EstimateCache): Promise<Overview> {
  const deployments = await app.serving.deployments.list();
  const names = deployments.map((d) => d.name);
  const [traffic, open, latest] = await Promise.all([
    app.serving.trafficHistory.recent(names, RECENT_SECONDS),
    app.monitoring.alerts.list('open'),
    Promise.all(names.map((n) => newestWindow(app, n))),
  ]);
  const health = await Promise.all(
    deployments.map(async (d, i): Promise<DeploymentHealth> => {
      const t = traffic.get(d.name)!;
      const w = latest[i] ?? undefined;
      const alerts = open.filter((a) => a.deployment === d.name);
      return {
        name: d.name,
        model: d.model,
        alias: d.alias,
        routes: d.routes,
        traffic: t,
        drift: w?.drift ? { windowEnd: w.windowEnd, drifted: w.drift.drifted, driftedShare: w.drift.driftedShare } : null,
        quality: w ? { windowStart: w.windowStart, windowEnd: w.windowEnd, measured: w.quality, estimated: await estimated(app, cache, d.name, w) } : null,
        monitored: latest[i] !== null,
        openAlerts: alerts.length,
        ...statusOf(d, t, w, alerts),
      };
    }),
  );
  return { generatedAt: app.clock.now().toISOString(), deployments: health, openAlerts: open.length };
}

/** Audit events matching `query`, oldest first, reading at most a few pages. */
async function auditEvents(app: App, query: { target: string; since?: string; until?: string }): Promise<{ events: AuditEvent[]; truncated: boolean }> {
  const events: AuditEvent[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_AUDIT_PAGES; page++) {
    const p = await app.audit.list({ ...query, pageSize: AUDIT_PAGE, pageToken });
    events.push(...p.events);
    if (!p.nextPageToken) return { events, truncated: false };
    pageToken = p.nextPageToken;
  }
  return { events, truncated: true };
}

/** A model's timeline: its aliases' and deployments' bands, and marks from the audit, alerts and jobs. */
export async function timeline(app: App, model: string, query: unknown): Promise<Timeline> {
  const q = parseInput(TimelineQuery, query ?? {}, 'query');
  const until = q.until ? new Date(q.until).toISOString() : app.clock.now().toISOString();
  const since = q.since ? new Date(q.since).toISOString() : new Date(Date.parse(until) - 7 * 86_400_000).toISOString();
  if (since >= until) throw new AppError('invalid_argument', 'query.since must be before query.until', { field: 'query.since' });
  await app.registry.models.get(model);
  const names = await deploymentsOfModel(app.database.db, model);
  const [history, own, deploymentAudit, alerts, jobs] = await Promise.all([
    app.registry.aliases.history(model),
    auditEvents(app, { target: `model:${model}*`, since, until }),
    // A deployment's state at `since` comes from its events before it, so these start at the beginning.
    Promise.all(names.map((n) => auditEvents(app, { target: `deployment:${n}`, until }))),
    Promise.all(names.map((n) => app.monitoring.alerts.list(undefined, n))),
    app.pipelines.jobs.list({ model, pageSize: 500 }),
  ]);
  // `model:fraud*` also matches `model:fraud-2`; keep the model's own targets.
  const mine = (t: string) => t === `model:${model}` || t.startsWith(`model:${model}/`) || t.startsWith(`model:${model}@`);
  return buildTimeline({
    model,
    since,
    until,
    aliasPeriods: history.periods,
    deploymentEvents: new Map(names.map((n, i) => [n, deploymentAudit[i]!.events])),
    modelEvents: own.events.filter((e) => mine(e.target)),
    alerts: alerts.flat(),
    jobs,
    truncated: own.truncated || deploymentAudit.some((a) => a.truncated),
  });
}
