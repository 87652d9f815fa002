import { z } from 'zod';

export const DRIFT_TEST_NAMES = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl_div', 'hellinger', 'l_infinity', 'cramer_von_mises', 'anderson'] as const;

const Cell = z.union([z.number(), z.string().max(1024), z.boolean(), z.null()]);
const FeatureName = z.string().min(1).max(256);
/** A dataset as columns: feature → values, one per row; every column of one dataset has the same length. */
const Columns = z
  .record(FeatureName, z.array(Cell).min(1).max(1_000_000))
  .refine((cols) => Object.keys(cols).length >= 1 && Object.keys(cols).length <= 1000, 'give between 1 and 1000 columns')
  .refine((cols) => new Set(Object.values(cols).map((c) => c.length)).size <= 1, 'every column must have the same number of values');

/** Two datasets to compare feature by feature, as `sextant drift --reference … --current …` does. */
export const DriftCompareRequest = z
  .object({
    reference: Columns.describe('reference rows as columns: feature → values (null for a missing value)'),
    current: Columns.describe('current rows as columns, same feature names'),
    tests: z.record(FeatureName, z.enum(DRIFT_TEST_NAMES)).optional().describe('test of a feature instead of the default choice'),
    thresholds: z.record(FeatureName, z.number().positive()).optional().describe("threshold of a feature's test instead of its default"),
    driftShare: z.number().gt(0).max(1).default(0.5).describe('share of drifted features that makes the dataset drifted'),
  })
  .strict()
  .meta({ id: 'DriftCompareRequest' });
export type DriftCompareRequest = z.input<typeof DriftCompareRequest>;

const FeatureDrift = z.object({
  feature: z.string(),
  kind: z.string(),
  test: z.string(),
  statistic: z.number().nullable(),
  pValue: z.number().nullable(),
  threshold: z.number(),
  drifted: z.boolean(),
});

export const DriftCompareResult = z
  .object({
    referenceRows: z.number().int(),
    currentRows: z.number().int(),
    features: z.array(FeatureDrift),
    skipped: z.array(z.object({ feature: z.string(), reason: z.string() })),
    driftedShare: z.number(),
    drifted: z.boolean(),
  })
  .meta({ id: 'DriftCompareResult' });
export type DriftCompareResult = z.infer<typeof DriftCompareResult>;
