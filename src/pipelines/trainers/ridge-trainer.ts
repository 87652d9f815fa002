import type { LinearModel } from '../../runtime/linear-predictor.js';
import { AppError } from '../../shared/app-error.js';
import { numericTargets, type TrainedModel, type TrainingData } from './training-data.js';

/** Solves A x = b for a symmetric positive-definite A (row-major d×d) by Cholesky. */
export function choleskySolve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j]!;
      for (let k = 0; k < j; k++) s -= L[i * d + k]! * L[j * d + k]!;
      if (i === j) {
        if (s <= 0) throw new AppError('invalid_argument', 'the normal equations are singular; give the ridge trainer an alpha greater than 0');
        L[i * d + i] = Math.sqrt(s);
      } else L[i * d + j] = s / L[j * d + j]!;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * d + k]! * y[k]!;
    y[i] = s / L[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * x[k]!;
    x[i] = s / L[i * d + i]!;
  }
  return x;
}

/**
 * Ridge regression as sklearn's `Ridge(alpha)`: minimises ‖y − Xw − b‖² + α‖w‖² on the raw
 * features with an unpenalised intercept, solved exactly from the centred normal equations.
 * `alpha: 0` is ordinary least squares.
 */
export function trainRidge(data: TrainingData, p: { alpha?: number } = {}): TrainedModel {
  const alpha = p.alpha ?? 1;
  if (!(alpha >= 0)) throw new AppError('invalid_argument', 'trainer.params.alpha must be 0 or more');
  const y = numericTargets(data.labels);
  const n = data.rows;
  const d = data.features.length;
  const mean = new Float64Array(d);
  data.columns.forEach((c, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(c[i]!)) throw new AppError('invalid_argument', `feature ${data.features[j]} is missing in training row ${i + 1}; the ridge trainer needs every value`);
      s += c[i]!;
    }
    mean[j] = s / n;
  });
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i]!;
  ym /= n;
  const A = new Float64Array(d * d);
  const b = new Float64Array(d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data.columns[j]![i]! - mean[j]!;
    const yc = y[i]! - ym;
    for (let j = 0; j < d; j++) {
      b[j] = b[j]! + row[j]! * yc;
      for (let k = 0; k <= j; k++) A[j * d + k] = A[j * d + k]! + row[j]! * row[k]!;
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < j; k++) A[k * d + j] = A[j * d + k]!;
    A[j * d + j] = A[j * d + j]! + alpha;
  }
  const w = choleskySolve(A, b, d);
  let intercept = ym;
  for (let j = 0; j < d; j++) intercept -= w[j]! * mean[j]!;
  const model: LinearModel = { format: 'sextant-linear', formatVersion: 1, features: data.features, link: 'identity', coefficients: [Array.from(w)], intercept: [intercept] };
  return { format: 'sextant-linear', artifact: new TextEncoder().encode(JSON.stringify(model)), params: { alpha }, metrics: {} };
}
