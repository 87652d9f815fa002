export { chi2Sf, gammaQ, lgamma, normalSf } from './special.js';
export { binnedShares, categoryShares, histogram, sturgesEdges } from './binning.js';
export type { Values } from './binning.js';
export { chiSquare, hellinger, jensenShannon, klDiv, ks2samp, psi, wassersteinNorm, zTest } from './drift-tests.js';
export type { FeatureKind, TestResult } from './drift-tests.js';
export { defaultTest, driftReport, runTest, TEST_NAMES } from './drift-report.js';
export type { DriftOptions, DriftReport, FeatureDrift, TestName } from './drift-report.js';
export { driftHtml } from './drift-html.js';
