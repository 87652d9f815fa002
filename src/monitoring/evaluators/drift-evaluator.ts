import type { DriftResult } from '../../contracts/monitoring.js';
import { type Breach, driftReportPath, type Evaluation, type WindowEvaluator, type WindowInput } from './window-evaluator.js';

/** The drift section of a window: the feature tests, the dataset verdict and prediction drift, or why they could not run. */
export interface DriftSection {
  error?: string;
  drifted: boolean;
  driftedShare: number;
  features: DriftResult['features'];
  prediction?: DriftResult['prediction'];
}

/** Data drift of the window's inputs (dataset drift at the monitor's share) and drift of its predictions. */
export const driftEvaluator: WindowEvaluator = {
  name: 'drift',
  rules: ['drift', 'prediction_drift'],
  async evaluate({ monitor, inspection, window }: WindowInput): Promise<Evaluation> {
    let section: DriftSection;
    try {
      const { drift: d } = await inspection();
      section = { drifted: d.driftedShare >= monitor.thresholds.driftShare && d.features.length > 0, driftedShare: d.driftedShare, features: d.features, prediction: d.prediction };
    } catch (err) {
      return { section: { error: (err as Error).message, drifted: false, driftedShare: 0, features: [] } satisfies DriftSection, breaches: [] };
    }
    const breaches: Breach[] = [];
    const report = driftReportPath(monitor.deployment, window);
    if (section.drifted) {
      const names = section.features.filter((f) => f.drifted).map((f) => f.feature);
      breaches.push({ rule: 'drift', message: `data drift: ${(section.driftedShare * 100).toFixed(0)} % of features drifted (${names.slice(0, 10).join(', ')})`, report });
    }
    const p = section.prediction;
    if (monitor.thresholds.predictionDrift && p?.drifted) {
      breaches.push({ rule: 'prediction_drift', message: `prediction drift: ${p.test} ${p.pValue !== null ? `p-value ${p.pValue.toPrecision(3)}` : `statistic ${p.statistic?.toPrecision(3)}`} (threshold ${p.threshold})`, report });
    }
    return { section, breaches };
  },
};
