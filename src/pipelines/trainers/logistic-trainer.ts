import type { LinearModel } from '../../runtime/linear-predictor.js';
import { AppError } from '../../shared/app-error.js';
import { lbfgs } from './lbfgs.js';
import { classesOf, standardize, type TrainedModel, type TrainingData } from './training-data.js';

export interface LogisticParams {
  /** Inverse regularisation strength, as sklearn's `C`. */
  C: number;
  maxIter: number;
}

/**
 * L2-regularised logistic regression (binary, or multinomial softmax for more classes) on
 * standardised features, minimising sklearn's objective `C·Σ log-loss + ½‖W‖²` (intercepts not
 * penalised) with L-BFGS; the scaling is folded back into the coefficients, so the artifact is a
 * plain `sextant-linear` model over the raw features.
 */
export function trainLogistic(data: TrainingData, p: Partial<LogisticParams> = {}): TrainedModel {
  const C = p.C ?? 1;
  const maxIter = p.maxIter ?? 500;
  if (!(C > 0)) throw new AppError('invalid_argument', 'trainer.params.C must be greater than 0');
  const classes = classesOf(data.labels);
  if (classes.length < 2) throw new AppError('invalid_argument', `the training data has a single class (${String(classes[0])}); a classifier needs at least two`);
  const { mean, scale, X } = standardize(data);
  const n = data.rows;
  const d = data.features.length;
  const binary = classes.length === 2;
  const K = binary ? 1 : classes.length;
  const index = new Map(classes.map((c, i) => [String(c), i]));
  const y = Int32Array.from(data.labels, (l) => index.get(String(l))!);
  const stride = d + 1;
  const z = new Float64Array(K);
  // Scaled by 1/(C·n) so the tolerance does not depend on the number of rows.
  const scaleLoss = 1 / n;
  const penalty = 1 / (C * n);
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const off = i * d;
      for (let k = 0; k < K; k++) {
        let s = w[k * stride + d]!;
        for (let j = 0; j < d; j++) s += w[k * stride + j]! * X[off + j]!;
        z[k] = s;
      }
      if (binary) {
        const t = y[i]!;
        const zz = z[0]!;
        // log(1 + e^z) - t·z, computed stably.
        loss += (zz > 0 ? zz + Math.log1p(Math.exp(-zz)) : Math.log1p(Math.exp(zz))) - t * zz;
        const r = 1 / (1 + Math.exp(-zz)) - t;
        for (let j = 0; j < d; j++) grad[j] = grad[j]! + r * X[off + j]!;
        grad[d] = grad[d]! + r;
        continue;
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, z[k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(z[k]! - max);
      loss += max + Math.log(sum) - z[y[i]!]!;
      for (let k = 0; k < K; k++) {
        const r = Math.exp(z[k]! - max) / sum - (k === y[i] ? 1 : 0);
        for (let j = 0; j < d; j++) grad[k * stride + j] = grad[k * stride + j]! + r * X[off + j]!;
        grad[k * stride + d] = grad[k * stride + d]! + r;
      }
    }
    loss *= scaleLoss;
    for (let q = 0; q < grad.length; q++) grad[q] = grad[q]! * scaleLoss;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < d; j++) {
        const wj = w[k * stride + j]!;
        loss += 0.5 * penalty * wj * wj;
        grad[k * stride + j] = grad[k * stride + j]! + penalty * wj;
      }
    }
    return loss;
  };
  const fit = lbfgs(objective, new Float64Array(K * stride), { maxIter, tol: 1e-7 });
  const coefficients: number[][] = [];
  const intercept: number[] = [];
  for (let k = 0; k < K; k++) {
    const row: number[] = [];
    let b = fit.w[k * stride + d]!;
    for (let j = 0; j < d; j++) {
      const wj = fit.w[k * stride + j]! / scale[j]!;
      row.push(wj);
      b -= wj * mean[j]!;
    }
    coefficients.push(row);
    intercept.push(b);
  }
  const model: LinearModel = {
    format: 'sextant-linear',
    formatVersion: 1,
    features: data.features,
    link: binary ? 'logistic' : 'softmax',
    classes,
    coefficients,
    intercept,
  };
  return {
    format: 'sextant-linear',
    artifact: new TextEncoder().encode(JSON.stringify(model)),
    params: { C, maxIter, iterations: fit.iterations },
    metrics: { train_objective: fit.value },
  };
}
