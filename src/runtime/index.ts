export type { Column, Datatype, FeatureBatch, FeatureSpec, OutputSpec, OutputTensor, PredictCall, Predictor } from './predictor.js';
export { loadPredictor, type LoadOptions } from './load-predictor.js';
export { checkRemoteArtifact } from './remote-predictor.js';
export { parseLinear, linearPredictor } from './linear-predictor.js';
export { parseXgboost, xgboostPredictor } from './xgboost-predictor.js';
export { onnxPredictor } from './onnx-predictor.js';
export { positiveScores } from './positive-scores.js';
export type { Explainer, Explanation, ExplanationSpace } from './explanation.js';
export { explainerOf, unexplainable } from './explanation.js';
