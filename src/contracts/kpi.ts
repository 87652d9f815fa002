import { z } from 'zod';
import { Timestamp } from './common.js';

const Money = z.number().finite();

/** What one prediction's outcome is worth: a true positive, a false positive, a false negative, a true negative. */
export const OutcomeValues = z
  .object({
    tp: Money.default(0).describe('value of a true positive'),
    fp: Money.default(0).describe('value of a false positive (usually negative: a cost)'),
    fn: Money.default(0).describe('value of a false negative'),
    tn: Money.default(0).describe('value of a true negative'),
  })
  .strict()
  .meta({ id: 'OutcomeValues' });
export type OutcomeValues = z.infer<typeof OutcomeValues>;

/**
 * A model's business value: what each outcome is worth (binary classifiers: `outcomes`, of the
 * positive class; multiclass: `classes`, one-vs-rest per class), what a unit of absolute error
 * costs (regression), and what a CPU-hour of serving costs. One currency, whichever it is.
 */
export const KpiSpec = z
  .object({
    outcomes: OutcomeValues.optional().describe('binary classifiers: the value of each outcome, the positive class being 1'),
    classes: z
      .record(z.string().min(1).max(256), OutcomeValues)
      .refine((c) => Object.keys(c).length > 0 && Object.keys(c).length <= 1000, 'between 1 and 1000 classes')
      .optional()
      .describe('multiclass classifiers: per class, the value of each one-vs-rest outcome; a row counts once for every class listed'),
    absErrorCost: z.number().finite().min(0).optional().describe('regression: the cost of one unit of absolute error (value is minus this times |y − ŷ|)'),
    computePrice: z.number().finite().min(0).optional().describe('the price of one CPU-hour of serving'),
  })
  .strict()
  .meta({ id: 'KpiSpec' });
export type KpiSpec = z.infer<typeof KpiSpec>;
export type KpiInput = z.input<typeof KpiSpec>;

export const ModelKpi = z
  .object({
    model: z.string(),
    task: z.string(),
    spec: KpiSpec,
    updatedBy: z.string(),
    updatedAt: Timestamp,
  })
  .meta({ id: 'ModelKpi' });
export type ModelKpi = z.infer<typeof ModelKpi>;

/** A window's value from labels: the labelled rows, their total value and the value per 1,000 of them. */
const MeasuredValue = z.object({ rows: z.number().int(), total: z.number(), per1000: z.number() });

/** A window's value estimated without labels, with its 95 % band per 1,000 predictions. */
const EstimatedValue = z.object({
  method: z.string().describe('cbpe (classifiers) or dle (regression)'),
  rows: z.number().int(),
  total: z.number(),
  per1000: z.number(),
  low: z.number().describe('lower end of the 95 % band, per 1,000 predictions'),
  high: z.number().describe('upper end of the 95 % band, per 1,000 predictions'),
});

/** The business value of one monitor window (null in a result when the model has no KPI). */
export const WindowValue = z
  .object({
    measured: MeasuredValue.nullable().describe('null until labels arrive'),
    measuredError: z.string().nullable().optional(),
    estimated: EstimatedValue.nullable(),
    estimatedError: z.string().nullable().optional().describe('why there is no estimate'),
    compute: z.object({
      cpuSeconds: z.number().describe('CPU seconds the serving processes spent in the inference path in this window'),
      predictions: z.number().int().describe('rows predicted in this window'),
      cpuSecondsPer1000: z.number().nullable(),
      costPer1000: z.number().nullable().describe('cpuSecondsPer1000 × computePrice / 3600; null without a compute price'),
    }),
    netPer1000: z.number().nullable().describe('value per 1,000 predictions (estimated, else measured) minus compute cost per 1,000'),
  })
  .meta({ id: 'WindowValue' });
export type WindowValue = z.infer<typeof WindowValue>;
