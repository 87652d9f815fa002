import { DRIFT_TEST_NAMES, DriftCompareRequest, DriftCompareResult } from '../../contracts/drift.js';
import type { App } from '../../app.js';
import { driftReport, type TestName } from '../../stats/index.js';
import { route } from '../route-spec.js';

// The contract lists the tests by name (contracts do not import stats); this keeps the two lists equal.
const SAME_TESTS: readonly TestName[] = DRIFT_TEST_NAMES satisfies readonly TestName[];
void SAME_TESTS;

/** Tests defined on numbers only: a column given one of them is read as numeric, and skipped with a reason when it is not. */
const NUMERIC_TESTS = new Set<TestName>(['ks', 'wasserstein', 'cramer_von_mises', 'anderson']);

/** Drift between two datasets sent by the caller, with the statistics `sextant drift` uses. */
export function driftRoutes(app: App) {
  return [
    route({
      method: 'POST',
      url: '/api/v1/drift',
      summary: 'Compare two datasets feature by feature (an Evidently data-drift report, as `sextant drift`); nothing is stored',
      tag: 'monitoring',
      role: 'viewer',
      body: DriftCompareRequest,
      response: DriftCompareResult,
      bodyLimit: app.config.limits.artifactBytes,
      handler: async ({ body }) => {
        const tests = body.tests ?? {};
        const kinds = Object.fromEntries(Object.entries(tests).filter(([, t]) => NUMERIC_TESTS.has(t)).map(([f]) => [f, 'num' as const]));
        const report = driftReport(body.reference, body.current, { tests, kinds, thresholds: body.thresholds, driftShare: body.driftShare });
        const rows = (cols: Record<string, unknown[]>) => Object.values(cols)[0]?.length ?? 0;
        return { referenceRows: rows(body.reference), currentRows: rows(body.current), ...report };
      },
    }),
  ];
}
