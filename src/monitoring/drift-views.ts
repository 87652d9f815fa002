import { DriftDistributionQuery, type DriftDistribution, DriftWindowQuery } from '../contracts/dashboard.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import { distribution, driftHtml, driftReport, type FitScore, multivariateDrift } from '../stats/index.js';
import type { ReferenceService } from './reference-service.js';

/**
 * Drift of a window shown to a person: the self-contained HTML report (as `sextant drift --html`
 * writes it) and one feature's reference and current distributions with its test.
 */
export class DriftViews {
  constructor(private readonly references: ReferenceService) {}

  /**
   * The HTML report of a window of a deployment's logged inputs against the reference; with
   * `multivariate`, also its multivariate drift (data reconstruction, and the domain classifier
   * when a classifier is given), chunked as the monitor rule chunks a window.
   */
  async report(deployment: string, query: unknown, multivariate?: { fitScore: FitScore | null }): Promise<string> {
    const c = await this.references.columns(deployment, parseInput(DriftWindowQuery, query ?? {}, 'query'));
    const report = driftReport(c.reference, c.current);
    const span = c.since || c.until ? ` from ${c.since ?? 'the start'} to ${c.until ?? 'now'}` : '';
    const refRows = Math.max(0, ...Object.values(c.reference).map((v) => v.length));
    const chunkSize = Math.max(2, Math.min(Math.floor(refRows / 10), c.currentRows));
    const m = multivariate ? await multivariateDrift(c.reference, c.current, multivariate.fitScore, { reconstruction: { chunkSize } }) : undefined;
    return driftHtml(report, c.reference, c.current, `Drift of ${deployment} (version ${c.version})${span}`, m);
  }

  /** One feature of a window: shares over shared bins (or categories) on both sides, and its test. */
  async distribution(deployment: string, query: unknown): Promise<DriftDistribution> {
    const { feature, ...window } = parseInput(DriftDistributionQuery, query ?? {}, 'query');
    const c = await this.references.columns(deployment, window);
    const ref = c.reference[feature];
    const cur = c.current[feature];
    if (!ref || !cur) {
      throw new AppError('not_found', `feature ${feature} is not compared in this window: not in the reference, not logged, or redacted`, { feature });
    }
    const report = driftReport({ [feature]: ref }, { [feature]: cur });
    const f = report.features[0];
    if (!f) throw new AppError('not_found', `feature ${feature} cannot be tested in this window: ${report.skipped[0]?.reason ?? 'no values'}`, { feature });
    const d = distribution(ref, cur, f.kind);
    return {
      deployment,
      version: c.version,
      since: c.since,
      until: c.until,
      feature,
      kind: f.kind,
      test: f.test,
      statistic: Number.isFinite(f.statistic) ? f.statistic : null,
      pValue: f.pValue,
      threshold: f.threshold,
      drifted: f.drifted,
      labels: d.labels,
      reference: d.ref,
      current: d.cur,
      referenceRows: ref.length,
      currentRows: c.currentRows,
    };
  }
}
