import { dataQualityEvaluator } from './data-quality-evaluator.js';
import { driftEvaluator } from './drift-evaluator.js';
import { qualityEvaluator } from './quality-evaluator.js';
import type { WindowEvaluator } from './window-evaluator.js';

export type { Breach, Evaluation, WindowEvaluator, WindowInput } from './window-evaluator.js';
export { driftReportPath, once } from './window-evaluator.js';
export type { DriftSection } from './drift-evaluator.js';

/** The checks every monitor window gets, in this order (the order of a window's alert messages). */
export const DEFAULT_EVALUATORS: readonly WindowEvaluator[] = [driftEvaluator, dataQualityEvaluator, qualityEvaluator];
export { fairnessEvaluator } from './fairness-evaluator.js';
export type { FairnessSection } from './fairness-evaluator.js';
export { valueEvaluator } from './value-evaluator.js';
export type { ValueSources } from './value-evaluator.js';
export { detectorEvaluator } from './detector-evaluator.js';
export type { Detection, DetectorReport } from './detector-evaluator.js';
export { multivariateEvaluator } from './multivariate-evaluator.js';
export type { MultivariateSection } from './multivariate-evaluator.js';
export { estimateEvaluator } from './estimate-evaluator.js';
export type { EstimateSection, FitRegressor } from './estimate-evaluator.js';
