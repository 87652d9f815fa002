import type { WindowValue } from '../../contracts/kpi.js';
import { positiveScores } from '../../runtime/index.js';
import { band1000, binaryConfusion, confusionValue, estimateBinaryValue, estimateMulticlassValue, multiclassValue, per1000, regressionValue, Z95 } from '../../stats/index.js';
import type { EstimateSection } from './estimate-evaluator.js';
import type { KpiOf } from '../kpi-service.js';
import type { PredictionStore } from '../prediction-store.js';
import type { Breach, Evaluation, WindowEvaluator, WindowInput } from './window-evaluator.js';

/** Most requests one window's value reads (as quality does). */
const MAX_REQUESTS = 100_000;

interface Tensor {
  name: string;
  shape: number[];
  data: unknown[];
}

/** What the value of a window needs besides the prediction log. */
export interface ValueSources {
  /** The KPI of the model a deployment serves, or null. */
  kpi(deployment: string): Promise<KpiOf | null>;
  /** The calibration map of a version's scores (fitted on its reference), or null. */
  calibration(model: string, version: number): Promise<((p: number) => number) | null>;
  /** CPU seconds the serving processes spent predicting for the deployment in the window, and the rows they predicted. */
  cpu(deployment: string, since: string, until: string): Promise<{ cpuSeconds: number; predictions: number }>;
}

/** A row's class probabilities (a `probabilities` output, or the first numeric two-dimensional one) and served labels, or null. */
function classRows(outputs: readonly Tensor[]): { probs: number[][]; labels: string[] } | null {
  const t = outputs.find((o) => o.name === 'probabilities') ?? outputs.find((o) => o.shape.length === 2 && (o.shape[1] ?? 0) >= 2 && typeof o.data[0] === 'number');
  const label = outputs.find((o) => o.name === 'label') ?? outputs[0];
  const k = t?.shape[1];
  if (!t || !label || t === label || !k || k < 2) return null;
  const probs: number[][] = [];
  for (let i = 0; i + k <= t.data.length; i += k) probs.push((t.data.slice(i, i + k) as unknown[]).map(Number));
  return { probs, labels: probs.map((_, i) => String(label.data[i])) };
}

const argmax = (p: readonly number[]) => p.reduce((best, v, i) => (v > p[best]! ? i : best), 0);

/** The window's DLE estimate of the mean absolute error (the `estimated` section) and its sampling error. */
interface MaeEstimate {
  mae: number;
  samplingError: number | null;
  rows: number;
}

/** The regression estimate of the window's mean absolute error, when the estimate evaluator made one (DLE). */
function dleEstimate(input: WindowInput): MaeEstimate | { error: string } {
  const s = input.section('estimated') as EstimateSection | null;
  if (!s) return { error: 'no label-free estimate in this window (DLE did not run)' };
  if (s.error) return { error: `no DLE estimate: ${s.error}` };
  const mae = s.metrics?.mae;
  if (s.method !== 'dle' || !mae || mae.value === null || !s.rows) return { error: 'no DLE estimate of the mean absolute error in this window' };
  return { mae: mae.value, samplingError: mae.samplingError, rows: s.rows };
}

/**
 * The business value of each window, for models with a KPI (`sextant kpi set`): measured from the
 * window's labelled rows (outcome values times the confusion matrix; minus the cost of absolute
 * error for regression), estimated for every row before labels arrive (CBPE's expected value for
 * classifiers, with a 95 % band; from DLE's estimated mean absolute error for regression), per 1,000
 * predictions, and the compute cost per 1,000 predictions from the serving CPU time measured per
 * deployment. Breaches `value` when the value per 1,000 predictions (the estimate when there is
 * one, else the measured value) falls below the monitor's `minValue`.
 */
export function valueEvaluator(log: PredictionStore, sources: ValueSources): WindowEvaluator {
  return {
    name: 'value',
    rules: ['value'],
    async evaluate(input: WindowInput): Promise<Evaluation> {
      const { monitor, window } = input;
      const kpi = await sources.kpi(monitor.deployment);
      if (!kpi) return { section: null, breaches: [] };
      const { task, spec } = kpi;
      const logged = await log.newestLabelled({ deployment: monitor.deployment, since: window.since, until: window.until, role: 'primary' }, MAX_REQUESTS, { accept: (r) => r.error === null });
      const y: (number | string)[] = [];
      const pred: (number | string)[] = [];
      const scores: number[] = [];
      const versions = new Map<string, { model: string; version: number; rows: number }>();
      const classProbs: number[][] = [];
      const served: string[] = [];
      for (const { record: r, label } of logged) {
        const outputs = (r.outputs ?? []) as Tensor[];
        const p1 = task === 'binary-classification' ? positiveScores(outputs) : null;
        if (p1) {
          scores.push(...p1);
          if (r.version !== null) {
            const key = `${r.model}/${r.version}`;
            const v = versions.get(key) ?? { model: r.model, version: r.version, rows: 0 };
            versions.set(key, { ...v, rows: v.rows + r.rows });
          }
        }
        const c = task === 'multiclass-classification' ? classRows(outputs) : null;
        if (c) {
          classProbs.push(...c.probs);
          served.push(...c.labels);
        }
        if (label === undefined) continue;
        const labels = JSON.parse(label) as unknown;
        for (let i = 0; i < r.rows; i++) {
          const truth = Array.isArray(labels) ? labels[i] : r.rows === 1 ? labels : undefined;
          const p = outputs[0]?.data[i];
          if ((typeof truth !== 'number' && typeof truth !== 'string') || (typeof p !== 'number' && typeof p !== 'string')) continue;
          y.push(truth);
          pred.push(p);
        }
      }

      let measured: WindowValue['measured'] = null;
      let measuredError: string | null = null;
      const measure = (total: number) => ({ rows: y.length, total, per1000: per1000(total, y.length)! });
      if (y.length === 0) measuredError = 'no labelled predictions in this window';
      else if (task === 'binary-classification' && spec.outcomes) measured = measure(confusionValue(binaryConfusion(y.map(Number), pred.map(Number)), spec.outcomes));
      else if (task === 'multiclass-classification' && spec.classes) measured = measure(multiclassValue(y, pred, spec.classes));
      else if (task === 'regression' && spec.absErrorCost !== undefined) measured = measure(regressionValue(y.map(Number), pred.map(Number), spec.absErrorCost));
      else measuredError = `the KPI values no outcome of a ${task} model`;

      let estimated: WindowValue['estimated'] = null;
      let estimatedError: string | null = null;
      if (task === 'binary-classification' && spec.outcomes) {
        if (scores.length === 0) estimatedError = 'no class-1 scores logged in this window';
        else {
          // CBPE assumes calibrated scores: the version that gave most rows lends its calibration map.
          const main = [...versions.values()].sort((a, b) => b.rows - a.rows)[0];
          const calibrate = main ? await sources.calibration(main.model, main.version) : null;
          const e = estimateBinaryValue(calibrate ? scores.map(calibrate) : scores, spec.outcomes);
          estimated = { method: 'cbpe', rows: scores.length, total: e.total, ...band1000(e, scores.length) };
        }
      } else if (task === 'regression' && spec.absErrorCost !== undefined) {
        const dle = dleEstimate(input);
        if ('error' in dle) estimatedError = dle.error;
        else {
          const c = spec.absErrorCost;
          // Value per row is −cost × |error|, so the band's ends swap; 95 % from DLE's sampling error of the MAE.
          const half = Z95 * (dle.samplingError ?? 0);
          estimated = { method: 'dle', rows: dle.rows, total: -c * dle.mae * dle.rows, per1000: -c * dle.mae * 1000, low: -c * (dle.mae + half) * 1000, high: -c * Math.max(0, dle.mae - half) * 1000 };
        }
      } else if (task === 'multiclass-classification' && spec.classes) {
        // A probability column is matched to its class by the rows that served it (the class of its argmax).
        const column: Record<string, number> = {};
        classProbs.forEach((p, i) => (column[served[i]!] ??= argmax(p)));
        const unmatched = Object.keys(spec.classes).filter((c) => column[c] === undefined);
        if (classProbs.length === 0) estimatedError = 'no class probabilities logged in this window';
        else if (unmatched.length > 0) estimatedError = `no row of this window was predicted ${unmatched.slice(0, 5).join(', ')}, so its probability column is unknown`;
        else {
          const e = estimateMulticlassValue(classProbs, served, spec.classes, column);
          estimated = { method: 'cbpe', rows: classProbs.length, total: e.total, ...band1000(e, classProbs.length) };
        }
      }
      else estimatedError = `the KPI values no outcome of a ${task} model`;

      const used = await sources.cpu(monitor.deployment, window.since, window.until);
      const cpuPer1000 = per1000(used.cpuSeconds, used.predictions);
      const costPer1000 = cpuPer1000 !== null && spec.computePrice !== undefined ? (cpuPer1000 * spec.computePrice) / 3600 : null;
      const valuePer1000 = estimated?.per1000 ?? measured?.per1000 ?? null;
      const section: WindowValue = {
        measured,
        measuredError,
        estimated,
        estimatedError,
        compute: { cpuSeconds: used.cpuSeconds, predictions: used.predictions, cpuSecondsPer1000: cpuPer1000, costPer1000 },
        netPer1000: valuePer1000 === null ? null : valuePer1000 - (costPer1000 ?? 0),
      };

      const breaches: Breach[] = [];
      const min = monitor.thresholds.minValue;
      if (min !== undefined && valuePer1000 !== null && valuePer1000 < min) {
        const what = estimated
          ? `estimated value ${estimated.per1000.toFixed(2)} per 1,000 predictions (${estimated.method.toUpperCase()}, 95 % band ${estimated.low.toFixed(2)} to ${estimated.high.toFixed(2)}, ${estimated.rows} rows)`
          : `measured value ${measured!.per1000.toFixed(2)} per 1,000 predictions over ${measured!.rows} labelled rows`;
        breaches.push({ rule: 'value', message: `${what} < ${min}` });
      }
      return { section, breaches };
    },
  };
}
