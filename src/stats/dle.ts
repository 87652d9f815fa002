import { type Estimate, withBand } from './cbpe.js';

/**
 * Direct loss estimation (NannyML's DLE) for regressions: nanny models, fitted on the labelled
 * reference, predict each row's absolute and squared error from the model's inputs and its
 * prediction; a window's MAE is the mean predicted absolute error and its RMSE the root of the
 * mean predicted squared error (negative predictions count as 0). The sampling errors are
 * NannyML's, their components fitted on the reference's realised errors.
 */

/** The reference's spread of absolute errors (MAE) and the spread and mean of squared errors (RMSE). */
export interface DleComponents {
  mae: number;
  rmse: [number, number];
}

function meanStd(xs: readonly number[]): [number, number] {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return [mean, Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length)];
}

/** Sampling-error components from the reference's labels and the model's predictions for them. */
export function dleComponents(truth: readonly number[], predicted: readonly number[]): DleComponents {
  const abs = truth.map((y, i) => Math.abs(y - predicted[i]!));
  const sq = truth.map((y, i) => (y - predicted[i]!) ** 2);
  const [meanSq, stdSq] = meanStd(sq);
  return { mae: meanStd(abs)[1], rmse: [stdSq, meanSq] };
}

/** A window's estimated MAE and RMSE from the nanny models' per-row predictions, with their bands. */
export function dleEstimates(absoluteErrors: readonly number[], squaredErrors: readonly number[], c: DleComponents): { mae: Estimate; rmse: Estimate } {
  const n = absoluteErrors.length;
  const mae = absoluteErrors.reduce((s, e) => s + Math.max(0, e), 0) / n;
  const rmse = Math.sqrt(squaredErrors.reduce((s, e) => s + Math.max(0, e), 0) / n);
  const [stdSq, meanSq] = c.rmse;
  return {
    mae: withBand(mae, c.mae / Math.sqrt(n), 0),
    rmse: withBand(rmse, Math.sqrt(stdSq ** 2 / (4 * n * meanSq)), 0),
  };
}
