import type { Breach, Evaluation, WindowEvaluator, WindowInput } from './window-evaluator.js';

/** Realised quality of the window's labelled rows against the monitor's accuracy and RMSE thresholds. */
export const qualityEvaluator: WindowEvaluator = {
  name: 'quality',
  rules: ['accuracy', 'rmse'],
  async evaluate({ monitor, quality }: WindowInput): Promise<Evaluation> {
    const q = await quality();
    const breaches: Breach[] = [];
    const { minAccuracy, maxRmse } = monitor.thresholds;
    const accuracy = q.metrics?.accuracy;
    if (minAccuracy !== undefined && typeof accuracy === 'number' && accuracy < minAccuracy) {
      breaches.push({ rule: 'accuracy', message: `accuracy ${accuracy.toFixed(3)} < ${minAccuracy} over ${q.rows} labelled rows` });
    }
    const rmse = q.metrics?.rmse;
    if (maxRmse !== undefined && typeof rmse === 'number' && rmse > maxRmse) {
      breaches.push({ rule: 'rmse', message: `RMSE ${rmse.toFixed(3)} > ${maxRmse} over ${q.rows} labelled rows` });
    }
    return { section: q.metrics, breaches };
  },
};
