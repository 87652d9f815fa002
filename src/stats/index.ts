export { chi2Sf, gammaQ, lgamma, normalSf } from './special.js';
export { binnedShares, categoryShares, histogram, isDropped, present, sturgesEdges } from './binning.js';
export type { Values } from './binning.js';
export { chiSquare, hellinger, jensenShannon, klDiv, ks2samp, lInfinity, psi, wassersteinNorm, zTest } from './drift-tests.js';
export type { FeatureKind, TestResult } from './drift-tests.js';
export { defaultTest, DRIFT_TESTS, driftReport, runTest, TEST_NAMES } from './drift-report.js';
export type { DriftOptions, DriftReport, FeatureDrift, TestName } from './drift-report.js';
export { distribution, driftHtml } from './drift-html.js';
export { KllSketch } from './kll-sketch.js';
export { CategoryProfile, NumericProfile } from './profile.js';
export { Adwin, Ddm, DETECTOR_LABELS, DETECTORS, detectorState, Eddm, Kswin, newDetector, PageHinkley, restoreDetector } from './detectors.js';
export type { Detector, DetectorName } from './detectors.js';
export { besselK, cramerVonMises } from './cramer-von-mises.js';
export { andersonDarling } from './anderson-darling.js';
export { eppsSingleton, energyDistance, mannWhitney, tTest } from './drift-rank-tests.js';
export { fisherExact, gTest, totalVariation } from './drift-count-tests.js';
export type { DriftTestInfo, VerdictRule } from './drift-registry.js';
export { chunkBounds, fitReconstruction, reconstructionDrift } from './data-reconstruction.js';
export type { ReconstructionChunk, ReconstructionDrift, ReconstructionModel, ReconstructionOptions } from './data-reconstruction.js';
export { domainClassifierDrift } from './domain-classifier.js';
export type { DomainClassifierDrift, DomainClassifierOptions, FitScore } from './domain-classifier.js';
export { binaryMetrics, calibrationError, estimateBinaryMetrics, logLoss, multiclassMetrics, regressionMetrics, rocAuc, scoreMetrics } from './quality-metrics.js';
export type { ClassificationMetrics, RegressionMetrics } from './quality-metrics.js';
export { classifyInputError, dataQuality, DEFAULT_DATA_QUALITY } from './data-quality.js';
export type { DataQualityCheck, DataQualityReport, DataQualityRule, DataQualityThresholds } from './data-quality.js';
export { isotonicFit } from './isotonic.js';
export { ShapWorkspace, treeDepth, treeExpectation, treeShap } from './tree-shap.js';
export type { Follow, ShapTree } from './tree-shap.js';
export { columnMeans, linearShap } from './linear-shap.js';
export type { LinearShap } from './linear-shap.js';
export { fairnessMetrics } from './fairness.js';
export type { FairnessMetrics, GroupFairness } from './fairness.js';
export { fairnessOfRows } from './fairness-rows.js';
export type { Decisions, FairnessOfRows, FairnessOptions } from './fairness-rows.js';
export { multivariateDrift } from './multivariate-drift.js';
export type { MultivariateDrift, MultivariateOptions } from './multivariate-drift.js';
export { multivariateSection } from './multivariate-html.js';
export {
  argmax,
  CBPE_METRICS,
  cbpeBinary,
  cbpeBinaryComponents,
  cbpeBinarySamplingErrors,
  cbpeMulticlass,
  cbpeMulticlassComponents,
  cbpeMulticlassSamplingErrors,
  estimateRocAuc,
  SAMPLING_ERROR_RANGE,
  withBand,
} from './cbpe.js';
export type { CbpeMetric, Estimate, SamplingComponents } from './cbpe.js';
export { dleComponents, dleEstimates } from './dle.js';
export type { DleComponents } from './dle.js';
export { band1000, binaryConfusion, confusionValue, estimateBinaryValue, estimateMulticlassValue, multiclassValue, per1000, regressionValue, Z95 } from './business-value.js';
export type { Confusion, OutcomeValues, ValueEstimate } from './business-value.js';
export { DriftSide, KLL_RANK_ERROR, streamDriftReport } from './drift-stream.js';
export type { StreamedDriftReport, StreamedFeatureDrift } from './drift-stream.js';
export { ColumnStore } from './column-store.js';
