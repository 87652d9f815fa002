import { z } from 'zod';
import { AliasName, ModelName, Timestamp, VersionNumber } from './common.js';

export const DeploymentName = ModelName;

const Weighted = z.object({ version: VersionNumber, weight: z.number().min(0).max(100) }).strict();

export const Batching = z
  .object({
    maxBatchSize: z.number().int().min(1).max(4096),
    maxLatencyMs: z.number().min(0).max(1000),
  })
  .strict()
  .meta({ id: 'Batching' });
export type Batching = z.infer<typeof Batching>;

export const Slo = z
  .object({
    p99LatencyMs: z.number().positive().optional(),
    maxErrorRate: z.number().min(0).max(1).optional(),
    windowSeconds: z.number().int().min(5).max(86_400).default(60),
    minRequests: z.number().int().min(1).default(50),
  })
  .strict()
  .refine((s) => s.p99LatencyMs !== undefined || s.maxErrorRate !== undefined, 'an SLO needs p99LatencyMs or maxErrorRate')
  .meta({ id: 'Slo' });
export type Slo = z.infer<typeof Slo>;

export const Logging = z
  .object({
    sampleRate: z.number().min(0).max(1).default(1),
    redact: z.array(z.string().min(1)).default([]).describe('features stored as "[redacted]"'),
  })
  .strict()
  .meta({ id: 'Logging' });
export type Logging = z.infer<typeof Logging>;

/**
 * What a deployment serves: either it follows an alias (moving the alias hot-swaps it) or it pins
 * weighted versions; a canary takes `weight` percent of traffic; shadows get a copy of each request.
 */
export const DeploymentSpec = z
  .object({
    model: ModelName,
    alias: AliasName.optional(),
    versions: z.array(Weighted).min(1).optional(),
    canary: Weighted.nullable().default(null),
    shadow: z.array(VersionNumber).default([]),
    batching: Batching.nullable().default(null),
    slo: Slo.nullable().default(null),
    stickyHeader: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a lowercase header name').nullable().default(null),
    logging: Logging.default({ sampleRate: 1, redact: [] }),
  })
  .strict()
  .refine((d) => (d.alias === undefined) !== (d.versions === undefined), 'give either alias or versions (not both)')
  .refine((d) => !d.versions || d.versions.reduce((s, v) => s + v.weight, 0) > 0, 'version weights must add up to more than 0');
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;

export const CreateDeploymentRequest = z
  .object({
    name: DeploymentName,
    model: ModelName,
    alias: AliasName.optional(),
    versions: z.array(Weighted).min(1).optional(),
    shadow: z.array(VersionNumber).default([]),
    batching: Batching.nullable().default(null),
    slo: Slo.nullable().default(null),
    stickyHeader: z.string().regex(/^[a-z0-9-]{1,64}$/).nullable().default(null),
    logging: Logging.optional(),
  })
  .strict()
  .meta({ id: 'CreateDeploymentRequest' });
export type CreateDeploymentRequest = z.input<typeof CreateDeploymentRequest>;

export const UpdateDeploymentRequest = z
  .object({
    alias: AliasName.optional(),
    versions: z.array(Weighted).min(1).optional(),
    shadow: z.array(VersionNumber).optional(),
    batching: Batching.nullable().optional(),
    slo: Slo.nullable().optional(),
    stickyHeader: z.string().regex(/^[a-z0-9-]{1,64}$/).nullable().optional(),
    logging: Logging.optional(),
  })
  .strict()
  .meta({ id: 'UpdateDeploymentRequest' });
export type UpdateDeploymentRequest = z.input<typeof UpdateDeploymentRequest>;

export const CanaryRequest = z
  .object({ version: VersionNumber, weight: z.number().min(0).max(100), reason: z.string().max(1000).optional() })
  .strict()
  .meta({ id: 'CanaryRequest' });
export type CanaryRequest = z.input<typeof CanaryRequest>;

export const RouteEntry = z.object({ version: VersionNumber, weight: z.number(), role: z.enum(['primary', 'canary']) });

export const Deployment = z
  .object({
    name: DeploymentName,
    model: ModelName,
    alias: z.string().nullable(),
    versions: z.array(Weighted).nullable(),
    canary: Weighted.nullable(),
    shadow: z.array(VersionNumber),
    batching: Batching.nullable(),
    slo: Slo.nullable(),
    stickyHeader: z.string().nullable(),
    logging: Logging,
    routes: z.array(RouteEntry).describe('effective traffic split now'),
    lastEvent: z.object({ time: Timestamp, action: z.string(), reason: z.string().nullable() }).nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Deployment' });
export type Deployment = z.infer<typeof Deployment>;

export const DeploymentList = z.object({ deployments: z.array(Deployment) }).meta({ id: 'DeploymentList' });
