import type { GateSpec, MetricThreshold, ValidationResult } from '../contracts/pipelines.js';
import { LOWER_IS_BETTER } from './evaluate.js';

type Check = ValidationResult['checks'][number];

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));

/**
 * One metric under MLflow's `MetricThreshold` semantics: `threshold` bounds the challenger's value;
 * `minAbsoluteChange` and `minRelativeChange` require it to beat the champion by at least that much
 * (in the metric's better direction). A value that cannot be computed fails the check (fail closed);
 * without a champion, only the threshold applies.
 */
export function checkMetric(metric: string, t: MetricThreshold, challenger: number | null, champion: number | null, hasChampion: boolean): Check {
  const greaterIsBetter = t.greaterIsBetter ?? !LOWER_IS_BETTER.has(metric);
  const base = { metric, challenger, champion, greaterIsBetter };
  if (challenger === null || !Number.isFinite(challenger)) return { ...base, passed: false, reason: `the challenger's ${metric} could not be computed` };
  const better = (a: number, b: number) => (greaterIsBetter ? a - b : b - a);
  const reasons: string[] = [];
  if (t.threshold !== undefined && better(challenger, t.threshold) < 0) {
    return { ...base, passed: false, reason: `${metric} ${fmt(challenger)} is ${greaterIsBetter ? 'below' : 'above'} the threshold ${t.threshold}` };
  }
  if (t.threshold !== undefined) reasons.push(`${metric} ${fmt(challenger)} meets the threshold ${t.threshold}`);
  if (t.minAbsoluteChange !== undefined || t.minRelativeChange !== undefined) {
    if (!hasChampion) reasons.push('no champion to compare with');
    else if (champion === null || !Number.isFinite(champion)) return { ...base, passed: false, reason: `the champion's ${metric} could not be computed, so the change cannot be judged` };
    else {
      const gain = better(challenger, champion);
      if (t.minAbsoluteChange !== undefined && gain < t.minAbsoluteChange) {
        return { ...base, passed: false, reason: `${metric} ${fmt(challenger)} vs champion ${fmt(champion)}: change ${fmt(gain)} < required ${t.minAbsoluteChange}` };
      }
      if (t.minRelativeChange !== undefined && gain < t.minRelativeChange * Math.abs(champion)) {
        return { ...base, passed: false, reason: `${metric} ${fmt(challenger)} vs champion ${fmt(champion)}: relative change ${fmt(gain / Math.abs(champion || 1))} < required ${t.minRelativeChange}` };
      }
      reasons.push(`${metric} ${fmt(challenger)} vs champion ${fmt(champion)} (change ${fmt(gain)})`);
    }
  }
  return { ...base, passed: true, reason: reasons.join('; ') || 'no criterion' };
}

/** The gate's metrics when a policy names none: not worse than the champion on the main metric of the task. */
export function defaultGate(task: string): GateSpec['metrics'] {
  return task === 'regression' ? { rmse: { minAbsoluteChange: 0 } } : { accuracy: { minAbsoluteChange: 0 } };
}
