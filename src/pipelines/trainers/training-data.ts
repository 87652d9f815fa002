import type { Task } from '../../contracts/common.js';
import { AppError } from '../../shared/app-error.js';

export type LabelValue = number | string;

/** A training set in column form: one Float64Array per feature (NaN = missing), one label per row. */
export interface TrainingData {
  features: string[];
  columns: Float64Array[];
  labels: LabelValue[];
  rows: number;
}

/** What a trainer produced: the artifact, its format, and the parameters it used. */
export interface TrainedModel {
  format: 'sextant-linear' | 'xgboost-json' | 'onnx';
  artifact: Uint8Array;
  params: Record<string, number | string | boolean>;
  /** Metrics the trainer reports on its own training data (the gate uses the holdout instead). */
  metrics: Record<string, number>;
}

/** Distinct labels in sklearn's order (`np.unique`: numbers ascending, else strings ascending). */
export function classesOf(labels: LabelValue[]): LabelValue[] {
  const set = [...new Set(labels)];
  return set.every((l) => typeof l === 'number') ? (set as number[]).sort((a, b) => a - b) : set.map(String).sort();
}

/** Numeric targets for regression, with the offending row named. */
export function numericTargets(labels: LabelValue[]): Float64Array {
  return Float64Array.from(labels, (l, i) => {
    const v = typeof l === 'number' ? l : Number(l);
    if (!Number.isFinite(v)) throw new AppError('invalid_argument', `regression label of training row ${i + 1} is not a number (${JSON.stringify(l)})`);
    return v;
  });
}

export function isClassification(task: Task): boolean {
  return task !== 'regression';
}

/** Mean and standard deviation per column (population, as sklearn's StandardScaler); constant columns get 1. */
export function standardize(data: TrainingData): { mean: Float64Array; scale: Float64Array; X: Float64Array } {
  const d = data.features.length;
  const n = data.rows;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  const X = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const c = data.columns[j]!;
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(c[i]!)) throw new AppError('invalid_argument', `feature ${data.features[j]} is missing in training row ${i + 1}; linear trainers need every value (use the gbt trainer, which routes missing values)`);
      s += c[i]!;
    }
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (c[i]! - m) ** 2;
    const sd = Math.sqrt(v / n);
    mean[j] = m;
    scale[j] = sd > 0 ? sd : 1;
    for (let i = 0; i < n; i++) X[i * d + j] = (c[i]! - m) / scale[j]!;
  }
  return { mean, scale, X };
}
