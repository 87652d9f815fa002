import { z } from 'zod';
import { FairnessReport } from './fairness.js';
import { PageSize, Timestamp } from './common.js';
import { WindowValue } from './kpi.js';

export const Label = z.union([z.number(), z.string(), z.boolean(), z.array(z.union([z.number(), z.string(), z.boolean()]))]);

/** Ground truth for one logged request (a list for multi-row requests, in row order). */
export const FeedbackItem = z.object({ requestId: z.string().min(1).max(256), label: Label }).strict();

export const FeedbackRequest = z.array(FeedbackItem).min(1).max(10_000).meta({ id: 'FeedbackRequest' });
export type FeedbackRequest = z.input<typeof FeedbackRequest>;

export const FeedbackResult = z
  .object({
    accepted: z.number().int().describe('new labels stored'),
    duplicates: z.number().int().describe('identical labels already stored (idempotent)'),
    updated: z.number().int().describe('labels that replaced a different earlier label'),
    unknown: z.array(z.string()).describe('request ids with no logged prediction yet; stored, joined when the prediction arrives'),
  })
  .meta({ id: 'FeedbackResult' });
export type FeedbackResult = z.infer<typeof FeedbackResult>;

export const LoggedPrediction = z
  .object({
    requestId: z.string(),
    role: z.enum(['primary', 'shadow']),
    deployment: z.string(),
    model: z.string(),
    version: z.number().int().nullable(),
    time: Timestamp,
    rows: z.number().int(),
    inputs: z.object({ features: z.array(z.string()), rows: z.array(z.array(z.unknown())) }).nullable(),
    outputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()), data: z.array(z.unknown()) })).nullable(),
    latencyMs: z.number(),
    error: z.string().nullable(),
    label: Label.nullable(),
  })
  .meta({ id: 'LoggedPrediction' });
export type LoggedPrediction = z.infer<typeof LoggedPrediction>;

export const ListPredictionsQuery = z
  .object({
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional().describe('only predictions before this time (page back with the oldest time seen)'),
    version: z.coerce.number().int().positive().optional().describe('only predictions answered by this version'),
    role: z.enum(['primary', 'shadow']).optional(),
    withLabels: z.enum(['true', 'false']).optional().describe('only predictions that have ground truth'),
    pageSize: PageSize,
  })
  .strict();
export type ListPredictionsQuery = z.input<typeof ListPredictionsQuery>;

export const PredictionList = z.object({ predictions: z.array(LoggedPrediction) }).meta({ id: 'PredictionList' });

export const QualityQuery = z
  .object({
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const QualityReport = z
  .object({
    deployment: z.string(),
    task: z.string(),
    since: z.string().nullable(),
    until: z.string().nullable(),
    rows: z.number().int().describe('labelled rows the metrics are computed on'),
    requests: z.number().int(),
    metrics: z.record(z.string(), z.number().nullable()).nullable().describe('null until labels arrive'),
    skipped: z.number().int().describe('labelled rows whose label or prediction could not be read'),
    estimated: z
      .record(z.string(), z.number())
      .nullable()
      .describe('binary classifiers: metrics estimated from calibrated scores of every logged row, labelled or not (CBPE)'),
    scoredRows: z.number().int().describe('rows the estimate is computed on'),
    calibrated: z.boolean().describe("whether the scores were calibrated on the reference data (isotonic, NannyML's CBPE) before estimating"),
  })
  .meta({ id: 'QualityReport' });
export type QualityReport = z.infer<typeof QualityReport>;

export const ReferenceInfo = z
  .object({
    model: z.string(),
    version: z.number().int(),
    digest: z.string(),
    format: z.enum(['csv', 'jsonl']),
    rows: z.number().int(),
    columns: z.array(z.string()),
    profile: z
      .record(
        z.string(),
        z.union([
          z.object({
            kind: z.literal('num'),
            count: z.number().int(),
            missing: z.number().int(),
            mean: z.number().nullable(),
            std: z.number().nullable(),
            min: z.number().nullable(),
            max: z.number().nullable(),
            quantiles: z.record(z.string(), z.number()).describe('p05, p25, p50, p75, p95 from a KLL sketch (rank error about 1.33 %)'),
            histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) }).describe('10 equal-width bins from min to max, from the sketch'),
          }),
          z.object({ kind: z.literal('cat'), count: z.number().int(), missing: z.number().int(), top: z.array(z.object({ value: z.string(), count: z.number().int() })) }),
        ]),
      )
      .nullable()
      .describe('per-column profile of the reference, computed when it was stored'),
    createdAt: Timestamp,
  })
  .meta({ id: 'ReferenceInfo' });
export type ReferenceInfo = z.infer<typeof ReferenceInfo>;

export const DriftQuery = z
  .object({
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    version: z.coerce.number().int().positive().optional().describe('default: the version taking most traffic'),
  })
  .strict();

/** One feature's test in a drift result. */
const FeatureDrift = z.object({
  feature: z.string(),
  kind: z.string(),
  test: z.string(),
  statistic: z.number().nullable(),
  pValue: z.number().nullable(),
  threshold: z.number(),
  drifted: z.boolean(),
});

/** What a window of logged traffic is compared on. */
const WindowSpan = {
  deployment: z.string(),
  version: z.number().int(),
  since: z.string().nullable(),
  until: z.string().nullable(),
  referenceRows: z.number().int(),
  currentRows: z.number().int(),
};

/** The drift report page of a window; `multivariate` adds the multivariate section (as `sextant drift --multivariate --html`). */
export const DriftReportQuery = DriftQuery.extend({
  multivariate: z.enum(['reconstruction', 'both']).optional().describe('add multivariate drift: data reconstruction, and with both the gbt domain classifier'),
}).strict();

export const DriftResult = z
  .object({
    ...WindowSpan,
    features: z.array(FeatureDrift),
    skipped: z.array(z.object({ feature: z.string(), reason: z.string() })),
    driftedShare: z.number(),
    drifted: z.boolean(),
    prediction: FeatureDrift.nullable()
      .describe("prediction drift: the model's outputs on the reference against the window's (class-1 probability for binary classifiers)"),
  })
  .meta({ id: 'DriftResult' });

export const DataQualityResult = z
  .object({
    ...WindowSpan,
    requests: z.number().int(),
    checks: z.array(
      z.object({
        rule: z.enum(['missing_share', 'out_of_range', 'new_categories', 'type_errors', 'schema_violations']),
        feature: z.string().nullable(),
        value: z.number().describe('share measured in the window'),
        reference: z.number().nullable(),
        threshold: z.number(),
        passed: z.boolean(),
      }),
    ),
    failed: z.number().int(),
    passed: z.boolean(),
  })
  .meta({ id: 'DataQualityResult' });
export type DataQualityResult = z.infer<typeof DataQualityResult>;
export type DriftResult = z.infer<typeof DriftResult>;

/**
 * A streaming change detector a monitor runs across its windows, with river's default parameters:
 * on the error stream of labelled rows (0/1 misclassification, or absolute error for regression),
 * on one logged feature, or on the prediction score (class-1 probability, else the prediction).
 */
export const DetectorRule = z
  .object({
    detector: z.enum(['adwin', 'ddm', 'eddm', 'page_hinkley', 'kswin']),
    stream: z.enum(['error', 'feature', 'score']),
    feature: z.string().min(1).max(256).optional().describe('stream feature: the logged feature'),
  })
  .strict()
  .refine((d) => (d.stream === 'feature') === (d.feature !== undefined), { message: 'a feature stream names its feature, and only a feature stream does', path: ['feature'] })
  .refine((d) => (d.detector !== 'ddm' && d.detector !== 'eddm') || d.stream === 'error', { message: 'DDM and EDDM watch a 0/1 error stream: use stream error', path: ['stream'] });
export type DetectorRule = z.infer<typeof DetectorRule>;

export const MonitorThresholds = z
  .object({
    driftShare: z.number().min(0).max(1).default(0.5).describe('dataset drift when this share of features drifts'),
    minAccuracy: z.number().min(0).max(1).optional().describe('alert (rule accuracy) when the measured accuracy falls below this, and (rule estimated_quality) when the label-free estimate does'),
    maxRmse: z.number().positive().optional().describe('alert (rule rmse) when the measured RMSE exceeds this, and (rule estimated_quality) when the label-free estimate does'),
    predictionDrift: z.boolean().default(true).describe('alert when the distribution of predictions drifts'),
    maxMissingShare: z.number().min(0).max(1).default(0.05).describe('missing values above the reference share by more than this'),
    maxOutOfRangeShare: z.number().min(0).max(1).default(0.05).describe("numbers outside the reference's range"),
    maxNewCategoryShare: z.number().min(0).max(1).default(0.05).describe('categories the reference never had'),
    maxErrorShare: z.number().min(0).max(1).default(0.01).describe('requests refused for type errors or schema violations'),
    sensitive: z.string().min(1).max(256).optional().describe('a logged feature: each window gets the fairness report of its labelled predictions by this attribute'),
    privileged: z.string().max(256).optional().describe('the group disparate impact compares with (default: the group selected most often)'),
    maxDpDifference: z.number().min(0).max(1).optional().describe('alert (rule fairness) when the demographic parity difference exceeds this'),
    minDisparateImpact: z.number().min(0).optional().describe("alert (rule fairness) when a group's disparate impact falls below this"),
    minValue: z.number().finite().optional().describe('alert (rule value) when the business value per 1,000 predictions falls below this: the estimate (CBPE, DLE) when there is one, so before labels arrive, else the measured value'),
    detectors: z.array(DetectorRule).max(10).optional().describe('streaming change detectors run across windows; a detection raises rule detector'),
    multivariate: z
      .enum(['reconstruction', 'both'])
      .optional()
      .describe('multivariate drift per window (rule multivariate_drift): NannyML data reconstruction, and with both also the gbt domain classifier'),
    minRocAuc: z.number().min(0).max(1).optional().describe('classifiers: alert (rule estimated_quality) when the label-free ROC AUC estimate (CBPE) falls below this'),
    minF1: z.number().min(0).max(1).optional().describe('classifiers: alert (rule estimated_quality) when the label-free F1 estimate (CBPE) falls below this'),
    maxMae: z.number().positive().optional().describe('regressions: alert (rule estimated_quality) when the label-free MAE estimate (DLE) exceeds this'),
  })
  .strict();

export const CreateMonitorRequest = z
  .object({
    deployment: z.string().min(1).max(128),
    windowSeconds: z.number().int().min(10).max(30 * 86_400).default(3600).describe('time windows on a fixed grid of this length'),
    windowRows: z.number().int().min(10).max(1_000_000).optional().describe('count windows instead: one closes every this many logged requests'),
    thresholds: MonitorThresholds.default(MonitorThresholds.parse({})),
  })
  .strict()
  .meta({ id: 'CreateMonitorRequest' });
export type CreateMonitorRequest = z.input<typeof CreateMonitorRequest>;

export const Monitor = z
  .object({
    deployment: z.string(),
    windowSeconds: z.number().int().nullable().describe('null for count windows'),
    windowRows: z.number().int().nullable().describe('null for time windows'),
    thresholds: MonitorThresholds,
    createdAt: Timestamp,
  })
  .meta({ id: 'Monitor' });
export type Monitor = z.infer<typeof Monitor>;

export const MonitorResult = z
  .object({
    deployment: z.string(),
    windowStart: Timestamp,
    windowEnd: Timestamp,
    drift: z.object({ drifted: z.boolean(), driftedShare: z.number(), features: z.array(z.unknown()) }).nullable(),
    driftError: z.string().nullable(),
    quality: z.record(z.string(), z.number().nullable()).nullable(),
    dataQuality: z.array(z.object({ rule: z.string(), feature: z.string().nullable(), value: z.number(), threshold: z.number() })).describe('data-quality checks that failed in this window'),
    alert: z.array(z.string()).describe('what breached its threshold in this window'),
    fairness: z
      .union([FairnessReport, z.object({ error: z.string() })])
      .nullable()
      .optional()
      .describe('monitors with a sensitive feature: the fairness of the window’s labelled predictions, or why there is none'),
    value: WindowValue.nullable().optional().describe('models with a KPI: business value measured, estimated, per 1,000 predictions, and compute cost'),
    detectors: z
      .array(
        z.object({
          detector: z.string(),
          stream: z.string(),
          feature: z.string().optional(),
          values: z.number().int().describe('values this window fed the detector'),
          rows: z.number().int().describe('values the detector has seen since the monitor began'),
          detections: z.array(z.object({ row: z.number().int(), requestId: z.string(), time: z.string() })).describe('where it fired: the row of its stream, and that row’s request'),
          warning: z.boolean(),
          error: z.string().optional(),
        }),
      )
      .nullable()
      .optional()
      .describe('monitors with detectors: what each streaming detector saw in this window'),
    multivariate: z
      .object({
        drifted: z.boolean().optional(),
        reconstruction: z
          .object({ error: z.number(), lower: z.number(), upper: z.number(), mean: z.number(), components: z.number().int(), chunkSize: z.number().int(), chunks: z.number().int(), alerting: z.number().int(), drifted: z.boolean() })
          .nullable()
          .optional(),
        domainClassifier: z.object({ auc: z.number(), threshold: z.number(), drifted: z.boolean(), rows: z.object({ reference: z.number().int(), current: z.number().int() }) }).nullable().optional(),
        skipped: z.array(z.object({ method: z.string(), reason: z.string() })).optional(),
        error: z.string().optional(),
      })
      .nullable()
      .optional()
      .describe('monitors with multivariate drift: data reconstruction (and the domain classifier) of this window'),
    estimated: z
      .object({
        method: z.enum(['cbpe', 'dle']).optional(),
        rows: z.number().int().optional().describe('rows estimated on: every logged row of the window, labelled or not'),
        calibrated: z.boolean().optional(),
        metrics: z
          .record(
            z.string(),
            z.object({
              value: z.number().nullable(),
              samplingError: z.number().nullable(),
              lower: z.number().nullable().describe('value − 3 sampling errors'),
              upper: z.number().nullable().describe('value + 3 sampling errors'),
            }),
          )
          .optional(),
        error: z.string().optional(),
      })
      .nullable()
      .optional()
      .describe('quality estimated without labels (CBPE for classifiers, DLE for regressions), each metric with its sampling-error band'),
  })
  .meta({ id: 'MonitorResult' });
export type MonitorResult = z.infer<typeof MonitorResult>;

export const MonitorResults = z.object({ results: z.array(MonitorResult) }).meta({ id: 'MonitorResults' });
