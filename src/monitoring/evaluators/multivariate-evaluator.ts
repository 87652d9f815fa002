import { type FitScore, multivariateDrift } from '../../stats/index.js';
import type { ReferenceService } from '../reference-service.js';
import { type Breach, driftReportPath, type Evaluation, type WindowEvaluator, type WindowInput } from './window-evaluator.js';

/** What a window keeps of its multivariate drift: each method's verdict and figures, or why there is none. */
export interface MultivariateSection {
  drifted?: boolean;
  reconstruction?: { error: number; lower: number; upper: number; mean: number; components: number; chunkSize: number; chunks: number; alerting: number; drifted: boolean } | null;
  domainClassifier?: { auc: number; threshold: number; drifted: boolean; rows: { reference: number; current: number } } | null;
  skipped?: { method: string; reason: string }[];
  error?: string;
}

/**
 * Multivariate drift of each window (`thresholds.multivariate`): NannyML's data reconstruction
 * (PCA keeping 65 % of the variance; the window's reconstruction error against the band of the
 * reference's chunks, the chunks as long as the window or a tenth of the reference, whichever is
 * shorter) and, with `both`, the gbt domain classifier's cross-validated ROC AUC. Breaches rule
 * `multivariate_drift`, linking the window's drift report with its multivariate section.
 */
export function multivariateEvaluator(references: Pick<ReferenceService, 'columns'>, fitScore: FitScore): WindowEvaluator {
  return {
    name: 'multivariate',
    rules: ['multivariate_drift'],
    async evaluate({ monitor, window }: WindowInput): Promise<Evaluation> {
      const mode = monitor.thresholds.multivariate;
      if (!mode) return { section: null, breaches: [] };
      let c: Awaited<ReturnType<ReferenceService['columns']>>;
      try {
        c = await references.columns(monitor.deployment, window);
      } catch (err) {
        return { section: { error: (err as Error).message } satisfies MultivariateSection, breaches: [] };
      }
      const refRows = Math.max(0, ...Object.values(c.reference).map((v) => v.length));
      const chunkSize = Math.max(2, Math.min(Math.floor(refRows / 10), c.currentRows));
      const m = await multivariateDrift(c.reference, c.current, mode === 'both' ? fitScore : null, { reconstruction: { chunkSize } });
      const r = m.reconstruction;
      const d = m.domainClassifier;
      const section: MultivariateSection = {
        drifted: m.drifted,
        reconstruction: r && {
          error: r.current.error,
          lower: r.reference.lower,
          upper: r.reference.upper,
          mean: r.reference.mean,
          components: r.components,
          chunkSize: r.chunkSize,
          chunks: r.current.chunks.length,
          alerting: r.current.chunks.filter((x) => x.alert).length,
          drifted: r.drifted,
        },
        domainClassifier: d && { auc: d.auc, threshold: d.threshold, drifted: d.drifted, rows: d.rows },
        skipped: m.skipped,
      };
      const found: string[] = [];
      if (r?.drifted) {
        found.push(`multivariate drift: reconstruction error ${r.current.error.toPrecision(4)} outside the reference band ${r.reference.lower.toPrecision(4)}–${r.reference.upper.toPrecision(4)} in ${section.reconstruction!.alerting} of ${section.reconstruction!.chunks} chunks (PCA, ${r.components} components)`);
      }
      if (d?.drifted) found.push(`multivariate drift: a domain classifier tells the window from the reference with ROC AUC ${d.auc.toFixed(3)} > ${d.threshold}`);
      const report = `${driftReportPath(monitor.deployment, window)}&multivariate=${mode}`;
      const breaches: Breach[] = found.length ? [{ rule: 'multivariate_drift', message: found.join('; '), report }] : [];
      return { section, breaches };
    },
  };
}
