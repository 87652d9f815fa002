import { columnMeans, linearShap } from '../stats/index.js';
import { backgroundMissing, type Explainer, type ExplanationSpace, packExplanation } from './explanation.js';
import type { FeatureBatch } from './predictor.js';

/**
 * Exact linear SHAP for scores w·x + b (one coefficient row per score), against the mean of the
 * background rows (the version's reference data). One row answers as a number.
 */
export function linearExplainer(features: string[], coefficients: Float64Array, intercepts: Float64Array, space: ExplanationSpace, float32 = false): Explainer {
  const means = new WeakMap<FeatureBatch, Float64Array>();
  const round = (col: ArrayLike<number>, n: number) => (float32 ? Float64Array.from({ length: n }, (_, r) => Math.fround(col[r]!)) : col);
  return {
    space,
    background: 'linear SHAP is taken against the reference mean',
    explain(batch, background) {
      if (!background) throw backgroundMissing(this.background!);
      let mean = means.get(background);
      if (!mean) means.set(background, (mean = columnMeans(background.columns.map((c) => round(c as Float64Array, background.rows)), background.rows)));
      const cols = batch.columns.map((c) => round(c as Float64Array, batch.rows));
      const { base, contributions } = linearShap(coefficients, intercepts, mean, cols, batch.rows);
      return packExplanation(features, space, base, contributions, batch.rows, intercepts.length === 1);
    },
  };
}
