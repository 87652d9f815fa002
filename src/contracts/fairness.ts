import { z } from 'zod';
import { ModelName, Timestamp, VersionNumber } from './common.js';

export const GroupFairness = z.object({
  count: z.number().int(),
  selectionRate: z.number(),
  tpr: z.number().describe('true positive rate; 0 for a group without positives, as Fairlearn has it'),
  fpr: z.number().describe('false positive rate; 0 for a group without negatives'),
  accuracy: z.number(),
});

/**
 * Group fairness of binary decisions: Fairlearn's demographic parity and equalized odds (between
 * groups, worst case) and AIF360's disparate impact against the privileged group.
 */
export const FairnessReport = z
  .object({
    label: z.string().describe('column of true labels (0/1)'),
    sensitive: z.string().describe('column of the sensitive attribute'),
    decision: z.string().describe('where decisions came from: a prediction column, "SCORE >= CUTOFF", or the version'),
    cutoff: z.number().nullable(),
    rows: z.number().int().describe('rows with a label, a decision and a group'),
    excludedRows: z.number().int().describe('rows left out for a missing label, decision or group'),
    privileged: z.string(),
    groups: z.record(z.string(), GroupFairness),
    demographicParityDifference: z.number(),
    demographicParityRatio: z.number().nullable(),
    equalizedOddsDifference: z.number(),
    disparateImpact: z.record(z.string(), z.number().nullable()),
    fourFifthsRule: z.record(z.string(), z.boolean().nullable()),
  })
  .meta({ id: 'FairnessReport' });
export type FairnessReport = z.infer<typeof FairnessReport>;

/** A report of a registered version, stored: the latest feeds its model card and promotion rules. */
export const StoredFairnessReport = FairnessReport.extend({
  id: z.string(),
  model: ModelName,
  version: VersionNumber,
  createdAt: Timestamp,
  actor: z.string(),
}).meta({ id: 'StoredFairnessReport' });
export type StoredFairnessReport = z.infer<typeof StoredFairnessReport>;

export const FairnessReportList = z.object({ reports: z.array(StoredFairnessReport) }).meta({ id: 'FairnessReportList' });

/** Query of `POST …/versions/{v}/fairness`; the body is the dataset (text/csv or JSON lines). */
export const FairnessQuery = z
  .object({
    label: z.string().min(1).max(256),
    sensitive: z.string().min(1).max(256),
    privileged: z.string().max(256).optional(),
    cutoff: z.coerce.number().min(0).max(1).default(0.5).describe('class-1 probability at or above which the version decides 1'),
  })
  .strict();
export type FairnessQuery = z.input<typeof FairnessQuery>;
