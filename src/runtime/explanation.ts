import { AppError } from '../shared/app-error.js';
import type { FeatureBatch } from './predictor.js';

/**
 * Where contributions add up: `margin` (log-odds or softmax scores, before the link), `probability`
 * (a forest's averaged class probabilities) or `raw` (a regression's prediction).
 */
export type ExplanationSpace = 'margin' | 'probability' | 'raw';

/**
 * SHAP values of a batch: for every row (and class), baseValue + Σ contributions equals the
 * model's output in `space`. One output gives a number and rows × features; several give one
 * base per class and rows × classes × features.
 */
export interface Explanation {
  features: string[];
  baseValue: number | number[];
  contributions: number[][] | number[][][];
  space: ExplanationSpace;
}

/** Explains a loaded model's predictions. */
export interface Explainer {
  readonly space: ExplanationSpace;
  /** Whether `explain` needs background rows (the version's reference data), and why. */
  readonly background: string | null;
  /** SHAP values of each row; `background` is the reference data in the predictor's feature order. */
  explain(batch: FeatureBatch, background: FeatureBatch | null): Explanation;
}

/**
 * The 501 for a model Sextant cannot explain, naming its format (and why, when known). The code
 * `unimplemented` is the documented answer (docs/transparency.md): the request is fine, the model
 * kind is outside what SHAP covers here (XGBoost JSON, ONNX tree ensembles, linear models).
 */
export function unexplainable(format: string, why?: string): AppError {
  return new AppError('unimplemented', `Sextant cannot explain models of format ${format}${why ? `: ${why}` : ''}; explanations cover xgboost-json, ONNX tree ensembles and linear models`, { format });
}

/** The 409 for an explainer that needs reference data the version does not have. */
export function backgroundMissing(why: string): AppError {
  return new AppError('conflict', `this model's explanations need the version's reference data (${why}); upload it with PUT /api/v1/models/{name}/versions/{v}/reference`);
}

/** Packs flat base values and rows × outputs × features contributions into an Explanation. */
export function packExplanation(features: string[], space: ExplanationSpace, base: ArrayLike<number>, flat: Float64Array, rows: number, scalar: boolean): Explanation {
  const k = base.length;
  const f = features.length;
  const row = (r: number, j: number) => Array.from(flat.subarray((r * k + j) * f, (r * k + j + 1) * f));
  if (scalar) return { features, space, baseValue: base[0]!, contributions: Array.from({ length: rows }, (_, r) => row(r, 0)) };
  return {
    features,
    space,
    baseValue: Array.from(base),
    contributions: Array.from({ length: rows }, (_, r) => Array.from({ length: k }, (_, j) => row(r, j))),
  };
}

/** A predictor's explainer, or the 501 naming its format when it has none. */
export function explainerOf(p: { format: string; explainer?: () => Explainer }): Explainer {
  if (!p.explainer) throw unexplainable(p.format);
  return p.explainer();
}
