import { positiveScores, type Predictor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import { toFeatureBatch } from './infer-input.js';

/**
 * A binary classifier's decisions on rows (objects of feature: value): 1 when the class-1
 * probability is at least `cutoff`, else the `label` output when it is 0/1. Rows the model
 * refuses fail the whole call with the serving layer's 400.
 */
export async function binaryDecisions(predictor: Predictor, rows: readonly Record<string, unknown>[], cutoff: number): Promise<number[]> {
  const columns = new Map<string, unknown[]>();
  for (const f of predictor.features) columns.set(f.name, rows.map((r) => r[f.name] ?? null));
  const outputs = await predictor.predict(toFeatureBatch({ kind: 'columns', rows: rows.length, columns }, predictor));
  const scores = positiveScores(outputs);
  if (scores) return scores.map((s) => (s >= cutoff ? 1 : 0));
  const label = outputs.find((o) => o.name === 'label') ?? outputs[0];
  const values = (label?.data ?? []) as unknown[];
  if (values.length !== rows.length || !values.every((v) => v === 0 || v === 1 || v === true || v === false)) {
    throw new AppError('invalid_argument', 'fairness needs a binary classifier: this version answers neither two-class probabilities nor 0/1 labels');
  }
  return values.map((v) => (v === 1 || v === true ? 1 : 0));
}
