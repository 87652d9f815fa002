import { z } from 'zod';
import { DeploymentName } from './deployments.js';
import { AliasName, ModelName, Timestamp, VersionNumber } from './common.js';

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

export const JobTrigger = z
  .object({
    type: z.enum(['manual', 'drift', 'quality', 'schedule', 'labels']),
    detail: z.string().nullable().default(null),
  })
  .meta({ id: 'JobTrigger' });
export type JobTrigger = z.infer<typeof JobTrigger>;

export const Job = z
  .object({
    id: z.string(),
    kind: z.string(),
    model: z.string().nullable(),
    status: JobStatus,
    params: z.record(z.string(), z.unknown()),
    trigger: JobTrigger,
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    timeoutSeconds: z.number().int(),
    leaseOwner: z.string().nullable(),
    cancelRequested: z.boolean(),
    result: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
    createdBy: z.string(),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Job' });
export type Job = z.infer<typeof Job>;

export const ListJobsQuery = z
  .object({
    model: ModelName.optional(),
    status: JobStatus.optional(),
    kind: z.string().max(64).optional(),
    pageSize: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type ListJobsQuery = z.input<typeof ListJobsQuery>;

export const JobList = z.object({ jobs: z.array(Job) }).meta({ id: 'JobList' });

export const JobLogsQuery = z.object({ after: z.coerce.number().int().min(0).default(0) }).strict();

export const JobLogs = z
  .object({
    job: z.string(),
    status: JobStatus,
    lines: z.array(z.object({ seq: z.number().int(), time: Timestamp, line: z.string() })),
    next: z.number().int().describe('pass as ?after= to read only newer lines'),
  })
  .meta({ id: 'JobLogs' });
export type JobLogs = z.infer<typeof JobLogs>;

/** One gate criterion, with MLflow's `MetricThreshold` semantics. */
export const MetricThreshold = z
  .object({
    threshold: z.number().optional().describe('the challenger must reach this value'),
    minAbsoluteChange: z.number().min(0).optional().describe('the challenger must beat the champion by at least this much'),
    minRelativeChange: z.number().min(0).optional().describe('… or by at least this fraction of the champion value'),
    greaterIsBetter: z.boolean().optional().describe('defaults by metric: true for accuracy, f1, roc_auc, r2; false for log_loss, rmse, mae, mape'),
  })
  .strict();
export type MetricThreshold = z.infer<typeof MetricThreshold>;

export const GateSpec = z
  .object({
    metrics: z.record(z.string(), MetricThreshold).default({}),
    allowSignatureChange: z.boolean().default(false),
  })
  .strict();
export type GateSpec = z.infer<typeof GateSpec>;

export const TrainerSpec = z
  .object({
    type: z.enum(['logistic', 'ridge', 'gbt', 'command']),
    params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
    command: z.array(z.string().min(1)).min(1).optional().describe('argv of the external trainer (type command)'),
    format: z.enum(['onnx', 'sextant-linear', 'xgboost-json']).optional().describe('format of the model the command writes; guessed from the file name otherwise'),
  })
  .strict()
  .refine((t) => t.type !== 'command' || t.command !== undefined, { message: 'a command trainer needs "command"', path: ['command'] });
export type TrainerSpec = z.infer<typeof TrainerSpec>;

export const PromotionSpec = z
  .object({
    strategy: z.enum(['manual', 'canary', 'shadow-then-canary']).default('canary'),
    steps: z.array(z.number().gt(0).max(100)).min(1).default([10, 50, 100]).describe('canary weights in order; the last must be 100'),
    stepSeconds: z.number().int().min(0).max(86_400).default(60),
    shadowSeconds: z.number().int().min(0).max(86_400).default(60),
    alias: AliasName.default('champion'),
  })
  .strict()
  .refine((p) => p.steps[p.steps.length - 1] === 100, { message: 'the last step must be 100', path: ['steps'] });
export type PromotionSpec = z.infer<typeof PromotionSpec>;

export const PolicySpec = z
  .object({
    enabled: z.boolean().default(true),
    triggers: z
      .object({
        drift: z.boolean().default(true),
        quality: z.boolean().default(true),
        schedule: z.string().max(100).nullable().default(null).describe('cron expression, five fields, UTC'),
        newLabels: z.number().int().positive().nullable().default(null).describe('retrain after this many new labels'),
      })
      .strict()
      .default({ drift: true, quality: true, schedule: null, newLabels: null }),
    cooldownSeconds: z.number().int().min(0).default(3600),
    target: z.string().min(1).max(256).default('label').describe('column of the reference data holding the label'),
    trainer: TrainerSpec.default({ type: 'logistic', params: {} }),
    data: z
      .object({
        includeReference: z.boolean().default(true),
        windowSeconds: z.number().int().positive().default(7 * 86_400).describe('labelled predictions from this far back'),
        maxRows: z.number().int().positive().max(5_000_000).default(200_000),
        holdoutFraction: z.number().gt(0).lt(1).default(0.2),
        seed: z.number().int().default(42),
      })
      .strict()
      .default({ includeReference: true, windowSeconds: 604_800, maxRows: 200_000, holdoutFraction: 0.2, seed: 42 }),
    gate: GateSpec.default({ metrics: {}, allowSignatureChange: false }),
    promotion: PromotionSpec.default({ strategy: 'canary', steps: [10, 50, 100], stepSeconds: 60, shadowSeconds: 60, alias: 'champion' }),
    timeoutSeconds: z.number().int().min(1).max(86_400).default(1800),
  })
  .strict()
  .meta({ id: 'RetrainingPolicySpec' });
export type PolicySpec = z.infer<typeof PolicySpec>;
export type PolicyInput = z.input<typeof PolicySpec>;

export const RetrainingPolicy = z
  .object({ model: ModelName, spec: PolicySpec, updatedBy: z.string(), updatedAt: Timestamp })
  .meta({ id: 'RetrainingPolicy' });
export type RetrainingPolicy = z.infer<typeof RetrainingPolicy>;

export const RetrainRequest = z
  .object({
    reason: z.string().max(1000).optional(),
    trainer: TrainerSpec.optional().describe('overrides the policy trainer for this run'),
    promotion: z.enum(['manual', 'canary', 'shadow-then-canary']).optional(),
  })
  .strict()
  .meta({ id: 'RetrainRequest' });
export type RetrainRequest = z.input<typeof RetrainRequest>;

export const GateCheck = z.object({
  metric: z.string(),
  challenger: z.number().nullable(),
  champion: z.number().nullable(),
  greaterIsBetter: z.boolean(),
  passed: z.boolean(),
  reason: z.string(),
});

export const ValidationResult = z
  .object({
    model: ModelName,
    version: VersionNumber,
    champion: VersionNumber.nullable(),
    holdoutRows: z.number().int(),
    passed: z.boolean(),
    checks: z.array(GateCheck),
    dataChecks: z.array(z.object({ check: z.string(), passed: z.boolean(), reason: z.string() })),
    jobId: z.string().nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'ValidationResult' });
export type ValidationResult = z.infer<typeof ValidationResult>;

export const Promotion = z
  .object({
    id: z.string(),
    model: ModelName,
    version: VersionNumber,
    deployment: DeploymentName,
    strategy: z.string(),
    steps: z.array(z.union([z.number(), z.literal('shadow')])),
    step: z.number().int().describe('index of the step applied last; -1 before the first'),
    stepSeconds: z.number().int(),
    shadowSeconds: z.number().int(),
    status: z.enum(['running', 'waiting', 'promoted', 'rolled-back']).describe('waiting: the last step waits for the approval of a protected alias'),
    nextAt: Timestamp,
    jobId: z.string().nullable(),
    approvalId: z.string().nullable().describe('the approval a waiting promotion waits for'),
    reason: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Promotion' });
export type Promotion = z.infer<typeof Promotion>;

export const PromotionList = z.object({ promotions: z.array(Promotion) }).meta({ id: 'PromotionList' });
