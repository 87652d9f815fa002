import type { MonitorResult } from '../../contracts/monitoring.js';
import type { Breach, Evaluation, WindowEvaluator, WindowInput } from './window-evaluator.js';

/** Data-quality checks of the window against the reference; the section lists the checks that failed. */
export const dataQualityEvaluator: WindowEvaluator = {
  name: 'dataQuality',
  rules: ['data_quality'],
  async evaluate({ inspection }: WindowInput): Promise<Evaluation> {
    let failed: MonitorResult['dataQuality'];
    try {
      const { dataQuality } = await inspection();
      failed = dataQuality.checks.filter((c) => !c.passed).map((c) => ({ rule: c.rule, feature: c.feature, value: c.value, threshold: c.threshold }));
    } catch {
      // No reference or no traffic: the drift section says why.
      return { section: [], breaches: [] };
    }
    const breaches: Breach[] = [];
    if (failed.length) {
      const what = failed.slice(0, 5).map((c) => `${c.feature ? `${c.feature} ` : ''}${c.rule.replaceAll('_', ' ')} ${(c.value * 100).toFixed(1)} %`);
      breaches.push({ rule: 'data_quality', message: `data quality: ${what.join('; ')}${failed.length > 5 ? ` and ${failed.length - 5} more` : ''}` });
    }
    return { section: failed, breaches };
  },
};
