import { present, type Values } from './binning.js';
import { andersonDarling } from './anderson-darling.js';
import { cramerVonMises } from './cramer-von-mises.js';
import { fisherExact, gTest, totalVariation } from './drift-count-tests.js';
import { eppsSingleton, energyDistance, mannWhitney, tTest } from './drift-rank-tests.js';
import { NUMERIC_TESTS, type TestName } from './drift-registry.js';
import { chiSquare, type FeatureKind, hellinger, jensenShannon, klDiv, ks2samp, lInfinity, psi, type TestResult, wassersteinNorm, zTest } from './drift-tests.js';

export { DRIFT_TESTS, TEST_NAMES } from './drift-registry.js';
export type { TestName } from './drift-registry.js';

export interface FeatureDrift extends TestResult {
  feature: string;
  kind: FeatureKind;
}

export interface DriftReport {
  features: FeatureDrift[];
  /** Features that could not be tested, and why (no values on one side, missing from current). */
  skipped: { feature: string; reason: string }[];
  driftedShare: number;
  drifted: boolean;
}

export interface DriftOptions {
  /** Per-feature kind; numbers default to `num`, anything else to `cat`. */
  kinds?: Record<string, FeatureKind>;
  /** Per-feature test instead of the default choice. */
  tests?: Record<string, TestName>;
  /** Per-feature threshold instead of the test's default. */
  thresholds?: Record<string, number>;
  /** Share of drifted features that makes the dataset drifted (Evidently's default 0.5). */
  driftShare?: number;
}

/**
 * Evidently's default test: reference of at most 1,000 rows → KS for numbers with more than 5
 * distinct values, chi-squared for more than 2 categories, else the Z-test; larger references →
 * Wasserstein (normed) for numbers with more than 5 values, Jensen–Shannon otherwise. As in
 * Evidently, missing and infinite values are dropped first: the rows and the distinct values
 * (over reference and current together) are counted on what is left.
 */
export function defaultTest(reference: Values, current: Values, kind: FeatureKind): TestName {
  reference = present(reference);
  current = present(current);
  const distinct = distinctUpTo(6, reference, current);
  if (reference.length <= 1000) {
    if (kind === 'num' && distinct > 5) return 'ks';
    return distinct > 2 ? 'chisquare' : 'z';
  }
  return kind === 'num' && distinct > 5 ? 'wasserstein' : 'jensenshannon';
}

const asNumbers = (v: Values) => v as number[];

/** Distinct values, counting no further than `limit` (the choice only asks "more than 5?"). */
function distinctUpTo(limit: number, ...samples: Values[]): number {
  const seen = new Set<unknown>();
  for (const s of samples) {
    for (const v of s) {
      seen.add(v);
      if (seen.size >= limit) return seen.size;
    }
  }
  return seen.size;
}

/**
 * Runs one named test. Missing and infinite values are dropped first, as Evidently does; a test that
 * cannot run on the data throws a RangeError saying why.
 */
export function runTest(name: TestName, reference: Values, current: Values, kind: FeatureKind, threshold?: number): TestResult {
  const r = present(reference);
  const c = present(current);
  switch (name) {
    case 'ks':
      return ks2samp(asNumbers(r), asNumbers(c), threshold);
    case 'chisquare':
      return chiSquare(r, c, threshold);
    case 'z':
      return zTest(r, c, threshold);
    case 'wasserstein':
      return wassersteinNorm(asNumbers(r), asNumbers(c), threshold);
    case 'jensenshannon':
      return jensenShannon(r, c, kind, threshold);
    case 'psi':
      return psi(r, c, kind, threshold);
    case 'kl_div':
      return klDiv(r, c, kind, threshold);
    case 'hellinger':
      return hellinger(r, c, kind, threshold);
    case 'l_infinity':
      return lInfinity(r, c, threshold);
    case 'cramer_von_mises':
      return cramerVonMises(asNumbers(r), asNumbers(c), threshold);
    case 'anderson':
      return andersonDarling([asNumbers(r), asNumbers(c)], threshold);
    case 'mannw':
      return mannWhitney(asNumbers(r), asNumbers(c), threshold);
    case 't_test':
      return tTest(asNumbers(r), asNumbers(c), threshold);
    case 'es':
      return eppsSingleton(asNumbers(r), asNumbers(c), threshold);
    case 'ed':
      return energyDistance(asNumbers(r), asNumbers(c), threshold);
    case 'fisher_exact':
      return fisherExact(r, c, threshold);
    case 'g_test':
      return gTest(r, c, threshold);
    case 'TVD':
      return totalVariation(r, c, threshold);
  }
}

/** Drift of every feature the two datasets share, and whether the dataset as a whole drifted. */
export function driftReport(reference: Record<string, Values>, current: Record<string, Values>, options: DriftOptions = {}): DriftReport {
  const features: FeatureDrift[] = [];
  const skipped: DriftReport['skipped'] = [];
  for (const feature of Object.keys(reference)) {
    const ref = reference[feature]!;
    const cur = current[feature];
    if (!cur) {
      skipped.push({ feature, reason: 'not in the current data' });
      continue;
    }
    const r = present(ref);
    const c = present(cur);
    if (r.length === 0 || c.length === 0) {
      skipped.push({ feature, reason: `no values in the ${r.length === 0 ? 'reference' : 'current'} data (all missing or infinite)` });
      continue;
    }
    // A column with any non-number is categorical unless the caller says otherwise.
    const numeric = r.every((v) => typeof v === 'number') && c.every((v) => typeof v === 'number');
    const kind = options.kinds?.[feature] ?? (numeric ? 'num' : 'cat');
    const test = options.tests?.[feature] ?? defaultTest(r, c, kind);
    if (!numeric && NUMERIC_TESTS.includes(test)) {
      skipped.push({ feature, reason: `${test} needs numbers, and the column holds other values too` });
      continue;
    }
    try {
      features.push({ feature, kind, ...runTest(test, r, c, kind, options.thresholds?.[feature]) });
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      skipped.push({ feature, reason: err.message });
    }
  }
  const driftedShare = features.length ? features.filter((f) => f.drifted).length / features.length : 0;
  return { features, skipped, driftedShare, drifted: features.length > 0 && driftedShare >= (options.driftShare ?? 0.5) };
}
