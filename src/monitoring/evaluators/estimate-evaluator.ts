import type { Monitor } from '../../contracts/monitoring.js';
import type { OutputTensor } from '../../runtime/index.js';
import {
  argmax,
  cbpeBinary,
  cbpeBinaryComponents,
  cbpeBinarySamplingErrors,
  cbpeMulticlass,
  cbpeMulticlassComponents,
  cbpeMulticlassSamplingErrors,
  dleComponents,
  dleEstimates,
  type Estimate,
  withBand,
} from '../../stats/index.js';
import type { LoggedRecord } from '../prediction-segment.js';
import type { PredictionStore } from '../prediction-store.js';
import type { ReferenceService } from '../reference-service.js';
import type { Breach, Evaluation, WindowEvaluator, WindowInput } from './window-evaluator.js';

/** Most requests one window's estimate reads. */
const MAX_REQUESTS = 100_000;

/** A regressor fitted on numeric columns (the built-in gbt trainer): predicts for new columns in the same feature order. */
export type FitRegressor = (features: string[], columns: Float64Array[], targets: number[]) => Promise<(columns: Float64Array[]) => Promise<Float64Array>>;

/** The label-free quality estimate of a window: each metric with its sampling error and band, or why there is none. */
export interface EstimateSection {
  method?: 'cbpe' | 'dle';
  /** Rows the estimate is computed on: every logged row of the window, labelled or not. */
  rows?: number;
  calibrated?: boolean;
  metrics?: Record<string, Estimate>;
  error?: string;
}

interface Scored {
  columns: Record<string, unknown[]>;
  outputs: OutputTensor[];
  target: string;
}

/** Class probabilities per row (a two-column or wider `probabilities` output), or null. */
function probabilityRows(outputs: readonly OutputTensor[]): number[][] | null {
  const t = outputs.find((o) => o.name === 'probabilities') ?? outputs.find((o) => o.shape.length === 2 && (o.shape[1] ?? 0) >= 2 && typeof o.data[0] === 'number');
  const k = t?.shape[1];
  if (!t || t.shape.length !== 2 || !k || k < 2) return null;
  const rows: number[][] = [];
  for (let i = 0; i + k <= t.data.length; i += k) rows.push((t.data.slice(i, i + k) as unknown[]).map(Number));
  return rows;
}

/** The reference's true class indices: labels mapped to the probability column the model predicts for them. */
function classIndices(ref: Scored, probs: number[][]): { truth: number[]; predicted: number[]; probs: number[][] } {
  const served = ref.outputs.find((o) => o.name === 'label')?.data;
  const index = new Map<string, number>();
  probs.forEach((p, i) => {
    if (served) index.set(String(served[i]), argmax(p));
  });
  const truth: number[] = [];
  const predicted: number[] = [];
  const kept: number[][] = [];
  ref.columns[ref.target]!.forEach((y, i) => {
    const c = served ? index.get(String(y)) : Number(y);
    if (c === undefined || !Number.isInteger(c) || c < 0 || c >= probs[0]!.length) return;
    truth.push(c);
    predicted.push(argmax(probs[i]!));
    kept.push(probs[i]!);
  });
  return { truth, predicted, probs: kept };
}

/** The numeric value of a regression's first output per row. */
function predictions(outputs: readonly OutputTensor[]): number[] {
  return ((outputs[0]?.data ?? []) as unknown[]).map(Number);
}

/** A reference's or window's numeric feature columns plus the prediction, as the nanny models see them. */
const asColumns = (features: string[], rows: number, value: (f: string, i: number) => unknown, prediction: number[]): Float64Array[] => [
  ...features.map((f) => Float64Array.from({ length: rows }, (_, i) => {
    const v = value(f, i);
    return typeof v === 'number' ? v : v === null || v === undefined || v === '' ? Number.NaN : Number(v);
  })),
  Float64Array.from(prediction),
];

/**
 * Quality without labels for every window (NannyML's methods): CBPE for classifiers (binary on
 * calibrated class-1 scores, multiclass one-vs-rest) estimates accuracy, precision, recall, F1 and
 * ROC AUC; DLE for regressions estimates MAE and RMSE with nanny models (the built-in gbt
 * trainer) fitted on the labelled reference to predict each row's absolute and squared error.
 * Every estimate carries NannyML's sampling error and a ±3σ band. An estimate past the monitor's
 * `minAccuracy`, `minF1`, `minRocAuc`, `maxMae` or `maxRmse` breaches `estimated_quality` as soon
 * as the window closes, before any label arrives.
 */
export function estimateEvaluator(log: PredictionStore, references: Pick<ReferenceService, 'scoredReference' | 'calibration'>, fitRegressor?: FitRegressor): WindowEvaluator {
  const nannies = new Map<string, Promise<{ features: string[]; abs: (c: Float64Array[]) => Promise<Float64Array>; sq: (c: Float64Array[]) => Promise<Float64Array> } | null>>();

  async function classifier(records: LoggedRecord[], ref: Scored, model: string, version: number, binary: boolean): Promise<EstimateSection> {
    const refProbs = probabilityRows(ref.outputs);
    if (!refProbs) return { error: 'the model gives no class probabilities to estimate from' };
    const probs = records.flatMap((r) => probabilityRows((r.outputs ?? []) as OutputTensor[]) ?? []);
    if (probs.length === 0) return { error: 'no logged class probabilities in this window' };
    const reference = classIndices(ref, refProbs);
    if (reference.truth.length === 0) return { error: `the reference's ${ref.target} column holds none of the model's classes` };
    const n = probs.length;
    if (binary) {
      const raw = probs.map((p) => p[1]!);
      const calibrate = await references.calibration(model, version);
      const scores = calibrate ? raw.map(calibrate) : raw;
      const est = cbpeBinary(scores, raw.map((p) => (p > 0.5 ? 1 : 0)));
      const se = cbpeBinarySamplingErrors(cbpeBinaryComponents(reference.truth, reference.predicted, reference.probs.map((p) => p[1]!)), n);
      return { method: 'cbpe', rows: n, calibrated: calibrate !== null, metrics: Object.fromEntries(Object.entries(est).map(([k, v]) => [k, withBand(v, se[k as keyof typeof se], 0, 1)])) };
    }
    const est = cbpeMulticlass(probs, probs.map(argmax));
    const se = cbpeMulticlassSamplingErrors(cbpeMulticlassComponents(reference.truth, reference.predicted, reference.probs), n);
    return { method: 'cbpe', rows: n, calibrated: false, metrics: Object.fromEntries(Object.entries(est).map(([k, v]) => [k, withBand(v, se[k as keyof typeof se], 0, 1)])) };
  }

  function nanny(ref: Scored, key: string) {
    let p = nannies.get(key);
    if (!p) {
      p = (async () => {
        const truth = ref.columns[ref.target]!.map(Number);
        const pred = predictions(ref.outputs);
        const features = Object.keys(ref.columns).filter((c) => c !== ref.target && ref.columns[c]!.some((v) => typeof v === 'number'));
        const cols = asColumns(features, truth.length, (f, i) => ref.columns[f]![i], pred);
        const keep = truth.map((y, i) => Number.isFinite(y) && Number.isFinite(pred[i]!));
        const rows = (c: Float64Array) => Float64Array.from(c.filter((_, i) => keep[i]));
        const names = [...features, '__prediction'];
        const errors = truth.map((y, i) => y - pred[i]!).filter((_, i) => keep[i]);
        const [abs, sq] = await Promise.all([
          fitRegressor!(names, cols.map(rows), errors.map(Math.abs)),
          fitRegressor!(names, cols.map(rows), errors.map((e) => e * e)),
        ]);
        return { features, abs, sq };
      })().catch(() => null);
      nannies.set(key, p);
      if (nannies.size > 16) nannies.delete(nannies.keys().next().value!);
    }
    return p;
  }

  async function regression(records: LoggedRecord[], ref: Scored, key: string): Promise<EstimateSection> {
    if (!fitRegressor) return { error: 'no trainer for the nanny models' };
    const model = await nanny(ref, key);
    if (!model) return { error: 'the nanny models could not be fitted on the reference' };
    const inputs = records.map((r) => r.inputs());
    const rowsOf = records.flatMap((r, k) => Array.from({ length: r.rows }, (_, i) => ({ k, i })));
    const pred = records.flatMap((r) => predictions((r.outputs ?? []) as OutputTensor[]).slice(0, r.rows));
    if (rowsOf.length === 0 || pred.length !== rowsOf.length) return { error: 'no logged predictions with inputs in this window' };
    const cols = asColumns(model.features, rowsOf.length, (f, j) => {
      const { k, i } = rowsOf[j]!;
      const at = inputs[k]?.features.indexOf(f) ?? -1;
      return at < 0 ? null : inputs[k]!.rows[i]?.[at];
    }, pred);
    const [abs, sq] = await Promise.all([model.abs(cols), model.sq(cols)]);
    const truth = ref.columns[ref.target]!.map(Number);
    const refPred = predictions(ref.outputs);
    const ok = truth.map((y, i) => Number.isFinite(y) && Number.isFinite(refPred[i]!));
    const e = dleEstimates(Array.from(abs), Array.from(sq), dleComponents(truth.filter((_, i) => ok[i]), refPred.filter((_, i) => ok[i])));
    return { method: 'dle', rows: rowsOf.length, metrics: { mae: e.mae, rmse: e.rmse } };
  }

  return {
    name: 'estimated',
    rules: ['estimated_quality'],
    async evaluate({ monitor, window, quality }: WindowInput): Promise<Evaluation> {
      const records = await log.newest({ deployment: monitor.deployment, since: window.since, until: window.until, role: 'primary' }, MAX_REQUESTS, (r) => r.error === null && r.outputs !== null);
      if (records.length === 0) return { section: null, breaches: [] };
      const counts = new Map<number, number>();
      for (const r of records) if (r.version !== null) counts.set(r.version, (counts.get(r.version) ?? 0) + r.rows);
      const version = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
      if (version === undefined) return { section: null, breaches: [] };
      const served = records.filter((r) => r.version === version);
      const model = served[0]!.model;
      const task = (await quality()).task;
      const ref = (await references.scoredReference(model, version)) as Scored | null;
      let section: EstimateSection;
      if (!ref) section = { error: `version ${version} has no labelled reference data to estimate from` };
      else if (task === 'regression') section = await regression(served, ref, `${model}/${version}`);
      else section = await classifier(served, ref, model, version, task === 'binary-classification');
      return { section, breaches: breaches(monitor, section) };
    },
  };
}

/** The estimates past the monitor's thresholds. */
function breaches(monitor: Monitor, s: EstimateSection): Breach[] {
  const t = monitor.thresholds;
  const checks: [string, number | undefined, 'min' | 'max'][] = [
    ['accuracy', t.minAccuracy, 'min'],
    ['f1', t.minF1, 'min'],
    ['roc_auc', t.minRocAuc, 'min'],
    ['mae', t.maxMae, 'max'],
    ['rmse', t.maxRmse, 'max'],
  ];
  const found: string[] = [];
  for (const [metric, limit, side] of checks) {
    const e = s.metrics?.[metric];
    if (limit === undefined || !e || e.value === null) continue;
    if (side === 'min' ? e.value < limit : e.value > limit) {
      const band = e.lower !== null && e.upper !== null ? `, band ${e.lower.toFixed(3)}–${e.upper.toFixed(3)}` : '';
      found.push(`estimated ${metric} ${e.value.toFixed(3)} ${side === 'min' ? '<' : '>'} ${limit} (${s.method?.toUpperCase()}${band}) over ${s.rows} rows, labelled or not`);
    }
  }
  return found.length ? [{ rule: 'estimated_quality', message: found.join('; ') }] : [];
}
