import type { FeatureKind } from './drift-tests.js';

/** How a test turns its score into a verdict. */
export type VerdictRule = 'p < threshold' | 'p ≤ threshold' | 'distance ≥ threshold' | 'distance > threshold';

export interface DriftTestInfo {
  /** Evidently's display name. */
  title: string;
  /** Column kinds Evidently allows the test on when it is asked for by name. */
  kinds: readonly FeatureKind[];
  threshold: number;
  rule: VerdictRule;
}

/**
 * Every tabular drift test, under Evidently's names, with Evidently's default thresholds and verdict
 * rules (its legacy stattest registry). `l_infinity` is Sextant's own.
 */
export const DRIFT_TESTS = {
  ks: { title: 'K-S p_value', kinds: ['num'], threshold: 0.05, rule: 'p ≤ threshold' },
  chisquare: { title: 'chi-square p_value', kinds: ['cat'], threshold: 0.05, rule: 'p < threshold' },
  z: { title: 'Z-test p_value', kinds: ['cat'], threshold: 0.05, rule: 'p < threshold' },
  wasserstein: { title: 'Wasserstein distance (normed)', kinds: ['num'], threshold: 0.1, rule: 'distance ≥ threshold' },
  jensenshannon: { title: 'Jensen-Shannon distance', kinds: ['cat', 'num'], threshold: 0.1, rule: 'distance ≥ threshold' },
  psi: { title: 'PSI', kinds: ['cat', 'num'], threshold: 0.1, rule: 'distance ≥ threshold' },
  kl_div: { title: 'Kullback-Leibler divergence', kinds: ['cat', 'num'], threshold: 0.1, rule: 'distance ≥ threshold' },
  hellinger: { title: 'Hellinger distance', kinds: ['cat', 'num'], threshold: 0.1, rule: 'distance ≥ threshold' },
  l_infinity: { title: 'L-infinity distance', kinds: ['cat', 'num'], threshold: 0.1, rule: 'distance ≥ threshold' },
  cramer_von_mises: { title: 'Cramer-von Mises', kinds: ['num'], threshold: 0.1, rule: 'p ≤ threshold' },
  anderson: { title: 'Anderson-Darling', kinds: ['num'], threshold: 0.1, rule: 'p < threshold' },
  mannw: { title: 'Mann-Whitney U-rank test', kinds: ['num'], threshold: 0.05, rule: 'p < threshold' },
  t_test: { title: 't_test', kinds: ['num'], threshold: 0.05, rule: 'p < threshold' },
  es: { title: 'Epps-Singleton', kinds: ['num'], threshold: 0.05, rule: 'p < threshold' },
  ed: { title: 'Energy-distance', kinds: ['num'], threshold: 0.1, rule: 'distance > threshold' },
  fisher_exact: { title: "Fisher's Exact test", kinds: ['cat'], threshold: 0.1, rule: 'p < threshold' },
  g_test: { title: 'g_test', kinds: ['cat'], threshold: 0.1, rule: 'p < threshold' },
  TVD: { title: 'Total-Variation-Distance', kinds: ['cat'], threshold: 0.1, rule: 'p < threshold' },
} as const satisfies Record<string, DriftTestInfo>;

export type TestName = keyof typeof DRIFT_TESTS;
export const TEST_NAMES = Object.keys(DRIFT_TESTS) as TestName[];

/** Tests that read their values as numbers. */
export const NUMERIC_TESTS: readonly TestName[] = TEST_NAMES.filter((t) => (DRIFT_TESTS[t].kinds as readonly string[]).every((k) => k === 'num'));
