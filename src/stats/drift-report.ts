import { isMissing, type Values } from './binning.js';
import { andersonDarling } from './anderson-darling.js';
import { cramerVonMises } from './cramer-von-mises.js';
import { chiSquare, type FeatureKind, hellinger, jensenShannon, klDiv, ks2samp, lInfinity, psi, type TestResult, wassersteinNorm, zTest } from './drift-tests.js';

export const TEST_NAMES = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl_div', 'hellinger', 'l_infinity', 'cramer_von_mises', 'anderson'] as const;
export type TestName = (typeof TEST_NAMES)[number];

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
 * Wasserstein (normed) for numbers with more than 5 values, Jensen–Shannon otherwise.
 */
export function defaultTest(reference: Values, current: Values, kind: FeatureKind): TestName {
  const distinct = distinctUpTo(6, reference, current);
  if (reference.length <= 1000) {
    if (kind === 'num' && distinct > 5) return 'ks';
    return distinct > 2 ? 'chisquare' : 'z';
  }
  return kind === 'num' && distinct > 5 ? 'wasserstein' : 'jensenshannon';
}

const asNumbers = (v: Values) => v as number[];

/** Distinct non-missing values, counting no further than `limit` (the choice only asks "more than 5?"). */
function distinctUpTo(limit: number, ...samples: Values[]): number {
  const seen = new Set<unknown>();
  for (const s of samples) {
    for (const v of s) {
      if (isMissing(v)) continue;
      seen.add(v);
      if (seen.size >= limit) return seen.size;
    }
  }
  return seen.size;
}

/** Runs one named test (missing values are dropped first, as Evidently does). */
export function runTest(name: TestName, reference: Values, current: Values, kind: FeatureKind, threshold?: number): TestResult {
  const r = reference.filter((v) => !isMissing(v));
  const c = current.filter((v) => !isMissing(v));
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
    const present = ref.filter((v) => !isMissing(v));
    const presentCur = cur.filter((v) => !isMissing(v));
    if (present.length === 0 || presentCur.length === 0) {
      skipped.push({ feature, reason: `no values in the ${present.length === 0 ? 'reference' : 'current'} data (all missing)` });
      continue;
    }
    // A column with any non-number is categorical unless the caller says otherwise.
    const numeric = present.every((v) => typeof v === 'number') && presentCur.every((v) => typeof v === 'number');
    const kind = options.kinds?.[feature] ?? (numeric ? 'num' : 'cat');
    const test = options.tests?.[feature] ?? defaultTest(ref, cur, kind);
    if (kind === 'num' && !numeric && ['ks', 'wasserstein', 'cramer_von_mises', 'anderson'].includes(test)) {
      skipped.push({ feature, reason: `${test} needs numbers, and the column holds other values too` });
      continue;
    }
    if (test === 'cramer_von_mises' && (present.length < 2 || presentCur.length < 2)) {
      skipped.push({ feature, reason: 'cramer_von_mises needs at least two values on each side' });
      continue;
    }
    if (test === 'anderson' && new Set([...present, ...presentCur]).size < 2) {
      skipped.push({ feature, reason: 'anderson needs more than one distinct value' });
      continue;
    }
    features.push({ feature, kind, ...runTest(test, ref, cur, kind, options.thresholds?.[feature]) });
  }
  const driftedShare = features.length ? features.filter((f) => f.drifted).length / features.length : 0;
  return { features, skipped, driftedShare, drifted: features.length > 0 && driftedShare >= (options.driftShare ?? 0.5) };
}
