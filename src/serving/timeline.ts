import type { Alert } from '../contracts/alerts.js';
import type { AliasPeriod } from '../contracts/aliases.js';
import type { AuditEvent } from '../contracts/audit.js';
import type { TimelineBand, TimelineLane, TimelineMark, Timeline } from '../contracts/dashboard.js';
import type { Deployment, DeploymentSpec } from '../contracts/deployments.js';
import type { Job } from '../contracts/pipelines.js';
import { effectiveRoutes } from './deployment-service.js';

/** What a model's timeline is drawn from; every list as its module reads it. */
export interface TimelineSources {
  model: string;
  since: string;
  until: string;
  /** Every period of every alias of the model, oldest first (AliasService.history). */
  aliasPeriods: AliasPeriod[];
  /** Per deployment of the model, its audit events up to `until`, oldest first. */
  deploymentEvents: Map<string, AuditEvent[]>;
  /** Audit events of the model, its versions and aliases in the range. */
  modelEvents: AuditEvent[];
  alerts: Alert[];
  jobs: Job[];
  truncated: boolean;
}

/** Effective split of a deployment as audited (`after`), with its alias resolved at that time. */
function routesOf(d: Deployment, aliasVersion: number | null): Deployment['routes'] {
  const spec = { ...d, alias: d.alias ?? undefined, versions: d.versions ?? undefined } as DeploymentSpec;
  return effectiveRoutes(spec, aliasVersion);
}

function aliasVersionAt(periods: AliasPeriod[], alias: string, time: string): number | null {
  let version: number | null = null;
  for (const p of periods) if (p.alias === alias && p.from <= time) version = p.version;
  return version;
}

const clip = (band: TimelineBand, since: string, until: string): TimelineBand | null => {
  if ((band.to !== null && band.to <= since) || band.from >= until) return null;
  return { ...band, from: band.from < since ? since : band.from };
};

function aliasLanes(s: TimelineSources): TimelineLane[] {
  const lanes = new Map<string, TimelineBand[]>();
  for (const p of s.aliasPeriods) {
    const band = clip({ version: p.version, from: p.from, to: p.to, weight: 100, role: 'alias' }, s.since, s.until);
    if (!lanes.has(p.alias)) lanes.set(p.alias, []);
    if (band) lanes.get(p.alias)!.push(band);
  }
  return [...lanes].map(([name, bands]) => ({ kind: 'alias', name, bands }));
}

/**
 * What one deployment served over time: its audited specs, with a followed alias resolved at each
 * moment, so a move of the alias changes the lane as it changed the traffic.
 */
function deploymentLane(name: string, events: AuditEvent[], s: TimelineSources): TimelineLane {
  const changes: { time: string; spec?: Deployment | null }[] = events.map((e) => ({ time: e.time, spec: e.after as Deployment | null }));
  for (const p of s.aliasPeriods) changes.push({ time: p.from });
  changes.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const bands: TimelineBand[] = [];
  let spec: Deployment | null = null;
  let open: TimelineBand[] = [];
  let key = '';
  for (const c of changes) {
    // An audited change carries the split its transaction committed (an alias moved by a promotion
    // included); between changes, a move of the followed alias changes the split.
    if (c.spec !== undefined) spec = c.spec;
    const routes = c.spec !== undefined ? (spec?.routes ?? []) : spec ? routesOf(spec, spec.alias !== null ? aliasVersionAt(s.aliasPeriods, spec.alias, c.time) : null) : [];
    const next = routes.map((r) => `${r.role}:${r.version}:${r.weight}`).join(',');
    if (next === key) continue;
    for (const b of open) b.to = c.time;
    open = routes.map((r) => ({ version: r.version, from: c.time, to: null, weight: r.weight, role: r.role }));
    bands.push(...open);
    key = next;
  }
  return { kind: 'deployment', name, bands: bands.map((b) => clip(b, s.since, s.until)).filter((b): b is TimelineBand => b !== null) };
}

const KINDS: Record<string, TimelineMark['kind']> = {
  'version.create': 'version',
  'version.update': 'version',
  'version.validate': 'gate',
  'alias.set': 'alias',
  'alias.delete': 'alias',
  'alias.rollback': 'rollback',
  'deployment.create': 'deployment',
  'deployment.update': 'deployment',
  'deployment.delete': 'deployment',
  'deployment.canary': 'canary',
  'deployment.promote': 'promote',
  'deployment.abort': 'abort',
  'deployment.slo-rollback': 'slo-rollback',
  'policy.set': 'policy',
};

function titleOf(e: AuditEvent): string {
  const after = (e.after ?? {}) as Record<string, unknown>;
  const [, rest = ''] = e.target.split(':');
  switch (e.action) {
    case 'version.create':
      return `registered version ${String(after.version ?? rest.split('/')[1])}${(after.lineage as { jobId?: string } | undefined)?.jobId ? ' (retrained)' : ''}`;
    case 'version.validate':
      return `gate ${after.passed ? 'passed' : 'failed'} for version ${rest.split('/')[1]}`;
    case 'alias.set':
    case 'alias.rollback':
      return `${rest.split('@')[1]} → ${String(after.version ?? '?')}${e.action === 'alias.rollback' ? ' (rollback)' : ''}`;
    case 'alias.delete':
      return `${rest.split('@')[1]} deleted`;
    case 'deployment.canary': {
      const c = after.canary as { version: number; weight: number } | null;
      return c ? `${rest}: canary version ${c.version} at ${c.weight} %` : `${rest}: canary`;
    }
    case 'deployment.slo-rollback':
      return `${rest}: SLO rollback of the canary`;
    default:
      return `${e.action} ${e.target}`;
  }
}

function laneOf(e: AuditEvent): string | null {
  if (e.target.startsWith('deployment:')) return e.target.slice('deployment:'.length);
  const at = e.target.indexOf('@');
  return at >= 0 ? e.target.slice(at + 1) : null;
}

function auditMark(e: AuditEvent): TimelineMark {
  const kind = KINDS[e.action] ?? (e.action.startsWith('approval.') ? 'approval' : 'other');
  return { time: e.time, kind, title: titleOf(e), actor: e.actor, reason: e.reason, target: e.target, lane: laneOf(e), seq: e.seq };
}

const inRange = (time: string, s: TimelineSources) => time >= s.since && time < s.until;

/**
 * A model's timeline: one lane per alias and per deployment showing which version served when
 * (and with which share), and marks for every audited change, alert and retrain, each carrying who
 * did it and why.
 */
export function buildTimeline(s: TimelineSources): Timeline {
  const lanes = [...aliasLanes(s), ...[...s.deploymentEvents].map(([name, events]) => deploymentLane(name, events, s))];
  const audited = [...s.modelEvents, ...[...s.deploymentEvents.values()].flat()].filter((e) => inRange(e.time, s));
  const marks: TimelineMark[] = [
    ...audited.map(auditMark),
    ...s.alerts
      .filter((a) => inRange(a.createdAt, s))
      .map((a): TimelineMark => ({ time: a.createdAt, kind: 'alert', title: `${a.rule} alert on ${a.deployment} (${a.status})`, actor: 'monitor', reason: a.message, target: `deployment:${a.deployment}`, lane: a.deployment, seq: null })),
    ...s.jobs
      .filter((j) => inRange(j.createdAt, s))
      .map((j): TimelineMark => ({
        time: j.createdAt,
        kind: 'retrain',
        title: `${j.kind} ${j.status} (trigger: ${j.trigger.type})`,
        actor: j.createdBy,
        reason: j.trigger.detail ?? j.error,
        target: `job:${j.id}`,
        lane: null,
        seq: null,
      })),
  ].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : (a.seq ?? 0) - (b.seq ?? 0)));
  return { model: s.model, since: s.since, until: s.until, lanes, marks, truncated: s.truncated };
}
