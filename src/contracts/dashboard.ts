import { z } from 'zod';
import { ModelName, Timestamp } from './common.js';
import { RouteEntry } from './deployments.js';
import { Role } from './tokens.js';

/** Reads the dashboard makes that the other nouns do not answer in one call. */

const IsoTime = z.iso.datetime({ offset: true });

export const WhoamiQuery = z
  .object({ model: ModelName.optional().describe('answer the role on this model: the highest of the global role and any grant') })
  .strict();

export const Whoami = z
  .object({
    signedIn: z.boolean().describe('false when the server requires a token and none (or an unknown, revoked or expired one) was sent'),
    actor: z.string().nullable().describe('how the audit trail names the caller'),
    role: Role.nullable().describe('the caller\'s role (on the model asked about, grants included); admin when the server runs without auth'),
    allows: z.array(Role).describe('every role this caller satisfies, so a client can hide what it may not do'),
    auth: z.boolean().describe('whether the server requires bearer tokens'),
    features: z
      .object({
        approvals: z.boolean().describe('the approvals API is served'),
        modelCards: z.boolean().describe('model cards are served'),
      })
      .describe('optional APIs this server has, so a client asks only for what exists'),
  })
  .meta({ id: 'Whoami' });
export type Whoami = z.infer<typeof Whoami>;

export const TrafficQuery = z
  .object({
    since: IsoTime.optional().describe('default: one hour before until'),
    until: IsoTime.optional().describe('default: now'),
    step: z.coerce.number().int().min(10).max(86_400).optional().describe('seconds per point, a multiple of 10; default keeps at most 360 points'),
  })
  .strict();
export type TrafficQuery = z.input<typeof TrafficQuery>;

export const TrafficPoint = z.object({
  time: Timestamp.describe('start of the step'),
  requests: z.number().int(),
  errors: z.number().int().describe('requests that failed on the server side (5xx)'),
  invalid: z.number().int().describe('requests refused as bad input (4xx)'),
  shed: z.number().int().describe('requests refused before queueing because the server was overloaded (429)'),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  versions: z.record(z.string(), z.number().int()).describe('requests per version'),
});
export type TrafficPoint = z.infer<typeof TrafficPoint>;

export const TrafficSeries = z
  .object({
    deployment: z.string(),
    since: Timestamp,
    until: Timestamp,
    stepSeconds: z.number().int(),
    points: z.array(TrafficPoint).describe('one per step, oldest first, zero where nothing was served'),
  })
  .meta({ id: 'TrafficSeries' });
export type TrafficSeries = z.infer<typeof TrafficSeries>;

export const DeploymentHealth = z
  .object({
    name: z.string(),
    model: ModelName,
    alias: z.string().nullable(),
    routes: z.array(RouteEntry),
    traffic: z.object({
      windowSeconds: z.number().int(),
      requestsPerSecond: z.number(),
      p50Ms: z.number().nullable(),
      p99Ms: z.number().nullable(),
      errorRate: z.number().nullable(),
      shed: z.number().int(),
    }),
    drift: z.object({ windowEnd: Timestamp, drifted: z.boolean(), driftedShare: z.number() }).nullable().describe('the newest monitor window'),
    quality: z
      .object({
        windowStart: Timestamp,
        windowEnd: Timestamp,
        measured: z.record(z.string(), z.number().nullable()).nullable(),
        estimated: z.record(z.string(), z.number()).nullable(),
      })
      .nullable(),
    monitored: z.boolean().describe('whether a monitor watches the deployment'),
    openAlerts: z.number().int(),
    status: z.enum(['ok', 'warning', 'critical', 'idle']),
    reasons: z.array(z.string()).describe('why the status is not ok'),
  })
  .meta({ id: 'DeploymentHealth' });
export type DeploymentHealth = z.infer<typeof DeploymentHealth>;

export const Overview = z
  .object({ generatedAt: Timestamp, deployments: z.array(DeploymentHealth), openAlerts: z.number().int() })
  .meta({ id: 'Overview' });
export type Overview = z.infer<typeof Overview>;

export const TimelineQuery = z
  .object({
    since: IsoTime.optional().describe('default: seven days before until'),
    until: IsoTime.optional().describe('default: now'),
  })
  .strict();
export type TimelineQuery = z.input<typeof TimelineQuery>;

export const TimelineBand = z.object({
  version: z.number().int().nullable().describe('null while an alias was deleted'),
  from: Timestamp,
  to: Timestamp.nullable().describe('null: still so'),
  weight: z.number().describe('percent of the lane\'s traffic (100 for an alias)'),
  role: z.enum(['alias', 'primary', 'canary']),
});
export type TimelineBand = z.infer<typeof TimelineBand>;

export const TimelineLane = z.object({
  kind: z.enum(['alias', 'deployment']),
  name: z.string(),
  bands: z.array(TimelineBand),
});
export type TimelineLane = z.infer<typeof TimelineLane>;

export const TimelineMarkKind = z.enum(['version', 'alias', 'deployment', 'canary', 'promote', 'abort', 'slo-rollback', 'rollback', 'alert', 'retrain', 'gate', 'approval', 'policy', 'other']);

export const TimelineMark = z.object({
  time: Timestamp,
  kind: TimelineMarkKind,
  title: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  target: z.string(),
  lane: z.string().nullable().describe('the alias or deployment lane it belongs to'),
  seq: z.number().int().nullable().describe('the audit event, when it is one'),
});
export type TimelineMark = z.infer<typeof TimelineMark>;

export const Timeline = z
  .object({
    model: ModelName,
    since: Timestamp,
    until: Timestamp,
    lanes: z.array(TimelineLane),
    marks: z.array(TimelineMark),
    truncated: z.boolean().describe('more events happened in the range than were read'),
  })
  .meta({ id: 'Timeline' });
export type Timeline = z.infer<typeof Timeline>;

export const DriftWindowQuery = z
  .object({
    since: IsoTime.optional(),
    until: IsoTime.optional(),
    version: z.coerce.number().int().positive().optional().describe('default: the version taking most traffic'),
  })
  .strict();

export const DriftDistributionQuery = DriftWindowQuery.extend({ feature: z.string().min(1).max(256) }).strict();
export type DriftDistributionQuery = z.input<typeof DriftDistributionQuery>;

export const DriftDistribution = z
  .object({
    deployment: z.string(),
    version: z.number().int(),
    since: z.string().nullable(),
    until: z.string().nullable(),
    feature: z.string(),
    kind: z.enum(['num', 'cat']),
    test: z.string(),
    statistic: z.number().nullable(),
    pValue: z.number().nullable(),
    threshold: z.number(),
    drifted: z.boolean(),
    labels: z.array(z.string()).describe('bins (shared edges) or categories'),
    reference: z.array(z.number()).describe('share of reference rows per label'),
    current: z.array(z.number()).describe('share of current rows per label'),
    referenceRows: z.number().int(),
    currentRows: z.number().int(),
  })
  .meta({ id: 'DriftDistribution' });
export type DriftDistribution = z.infer<typeof DriftDistribution>;

