/**
 * Confidence-based performance estimation (NannyML's CBPE) with NannyML's sampling errors: the
 * expected metrics of a window from the model's (calibrated) scores alone, and a band of three
 * sampling errors around each, the errors' components fitted on the labelled reference.
 */

/** An estimated metric: its value, its sampling error, and the band value ± 3 sampling errors (clipped to the metric's range). */
export interface Estimate {
  value: number | null;
  samplingError: number | null;
  lower: number | null;
  upper: number | null;
}

/** NannyML's band: three sampling errors either side. */
export const SAMPLING_ERROR_RANGE = 3;

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** An estimate with its band, clipped to [min, max]. */
export function withBand(value: number, samplingError: number, min = 0, max = Infinity): Estimate {
  const v = finite(value);
  const se = finite(samplingError);
  if (v === null || se === null) return { value: v, samplingError: se, lower: null, upper: null };
  return { value: v, samplingError: se, lower: Math.max(min, v - SAMPLING_ERROR_RANGE * se), upper: Math.min(max, v + SAMPLING_ERROR_RANGE * se) };
}

/** Population standard deviation (numpy's default, ddof 0). */
function std(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return Math.sqrt(ss / xs.length);
}

/** Trapezoidal area under a curve whose x runs one way (sklearn's `auc`: reversed x counts positive). */
function area(x: readonly number[], y: readonly number[]): number {
  let s = 0;
  let up = true;
  let down = true;
  for (let i = 1; i < x.length; i++) {
    const dx = x[i]! - x[i - 1]!;
    if (dx < 0) up = false;
    if (dx > 0) down = false;
    s += (dx * (y[i]! + y[i - 1]!)) / 2;
  }
  return !up && down ? -s : s;
}

/**
 * Expected ROC AUC from calibrated scores alone (NannyML's `estimate_roc_auc`): at each distinct
 * score as threshold, the expected true and false positives are sums of p and 1 − p above it.
 */
export function estimateRocAuc(scores: readonly number[]): number {
  const t = [...scores].sort((a, b) => a - b);
  t.push(1);
  const n = t.length;
  const tp = new Array<number>(n);
  const fp = new Array<number>(n);
  let a = 0;
  let b = 0;
  for (let i = n - 1; i >= 0; i--) {
    a += t[i]!;
    b += 1 - t[i]!;
    tp[i] = a;
    fp[i] = b;
  }
  const tpr: number[] = [];
  const fpr: number[] = [];
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < n; i++) {
    // FN and TN: sums below threshold i (the thresholds shifted by one, starting at 0).
    if (i > 0) {
      fn += t[i - 1]!;
      tn += 1 - t[i - 1]!;
    }
    if (i > 0 && t[i] === t[i - 1]) continue;
    tpr.push(tp[i]! / (tp[i]! + fn));
    fpr.push(fp[i]! / (fp[i]! + tn));
  }
  return area(fpr, tpr);
}

/** Expected confusion counts of 0/1 predictions from calibrated class-1 scores. */
function expectedCounts(scores: readonly number[], predicted: readonly number[]) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  scores.forEach((p, i) => {
    if (predicted[i] === 1) {
      tp += p;
      fp += 1 - p;
    } else {
      fn += p;
      tn += 1 - p;
    }
  });
  return { tp, fp, fn, tn };
}

/** The metrics CBPE estimates for classifiers. */
export type CbpeMetric = 'accuracy' | 'precision' | 'recall' | 'f1' | 'roc_auc';
export const CBPE_METRICS: readonly CbpeMetric[] = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'];

/** Binary CBPE point estimates from calibrated class-1 scores and the served 0/1 predictions. */
export function cbpeBinary(scores: readonly number[], predicted: readonly number[]): Record<CbpeMetric, number> {
  const { tp, fp, fn, tn } = expectedCounts(scores, predicted);
  return {
    accuracy: (tp + tn) / scores.length,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: tp / (tp + 0.5 * (fp + fn)),
    roc_auc: estimateRocAuc(scores),
  };
}

/** Per metric: the reference's standard deviation (or variance, multiclass) and the share of rows it concerns. */
export type SamplingComponents = Record<CbpeMetric, [number, number]>;

/** NannyML's AUROC component: positives' ranks among negatives as a Mann–Whitney U, their spread and the positive share. */
function aurocComponent(truth: readonly number[], scores: readonly number[], variance: boolean): [number, number] {
  let y = truth;
  let p = scores;
  if (y.reduce((s, v) => s + v, 0) / y.length > 0.5) {
    y = y.map((v) => 1 - v);
    p = p.map((v) => 1 - v);
  }
  const order = p.map((_, i) => i).sort((i, j) => p[i]! - p[j]! || i - j);
  const ranks: number[] = [];
  order.forEach((idx, rank) => {
    if (y[idx] === 1 && rank > 0) ranks.push(rank);
  });
  const nPos = y.reduce((s, v) => s + v, 0);
  const nNeg = y.length - nPos;
  const u = ranks.map((r, i) => (r - i) / nNeg);
  const s = std(u);
  return [variance ? s * s : s, nPos / y.length];
}

/** Observations of a count-based metric for NannyML's components: 1 for each hit, 0 for each miss. */
function ones(hits: number, misses: number): number[] {
  return [...new Array<number>(hits).fill(1), ...new Array<number>(misses).fill(0)];
}

/** Sampling-error components of one binary (or one-vs-rest) problem on labelled reference rows. */
function binaryComponents(truth: readonly number[], predicted: readonly number[], scores: readonly number[], multiclass: boolean): SamplingComponents {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let positives = 0;
  let predictedPositive = 0;
  const correct: number[] = [];
  truth.forEach((y, i) => {
    const p = predicted[i]!;
    if (p === 1 && y === 1) tp++;
    else if (p === 1) fp++;
    else if (y === 1) fn++;
    positives += y;
    predictedPositive += p;
    correct.push(y === p ? 1 : 0);
  });
  const n = truth.length;
  const spread = (xs: number[]) => (multiclass ? std(xs) ** 2 : std(xs));
  const f1Obs = ones(tp, fn + fp);
  // Binary F1 scales its observations so their mean is the F1 (NannyML's correcting factor).
  const factor = multiclass ? 1 : f1Obs.length / ((fn + fp) * 0.5 + tp);
  return {
    accuracy: [spread(correct), 1],
    precision: [spread(ones(tp, fp)), predictedPositive / n],
    recall: [spread(ones(tp, fn)), positives / n],
    f1: [spread(f1Obs.map((v) => v * factor)), f1Obs.length / n],
    roc_auc: aurocComponent(truth, scores, multiclass),
  };
}

/** Binary sampling-error components fitted on the labelled reference (0/1 labels, 0/1 predictions, class-1 scores). */
export function cbpeBinaryComponents(truth: readonly number[], predicted: readonly number[], scores: readonly number[]): SamplingComponents {
  return binaryComponents(truth, predicted, scores, false);
}

/** Binary sampling errors of a window of `n` rows: std / sqrt(n · share). */
export function cbpeBinarySamplingErrors(c: SamplingComponents, n: number): Record<CbpeMetric, number> {
  const e = (k: CbpeMetric) => c[k][0] / Math.sqrt(n * c[k][1]);
  return { accuracy: e('accuracy'), precision: e('precision'), recall: e('recall'), f1: e('f1'), roc_auc: e('roc_auc') };
}

/** Index of the largest value (the class a row of probabilities predicts). */
export const argmax = (row: readonly number[]): number => row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);

/**
 * Multiclass CBPE, one-vs-rest as NannyML: per class, the binary estimate of "predicted this
 * class" from that class's probability; precision, recall, F1 and ROC AUC are their macro
 * averages; accuracy is the mean probability of the predicted class.
 */
export function cbpeMulticlass(probabilities: readonly (readonly number[])[], predicted: readonly number[]): Record<CbpeMetric, number> {
  const k = probabilities[0]?.length ?? 0;
  const per = Array.from({ length: k }, (_, c) =>
    cbpeBinary(
      probabilities.map((r) => r[c]!),
      predicted.map((p) => (p === c ? 1 : 0)),
    ),
  );
  const mean = (m: CbpeMetric) => per.reduce((s, r) => s + r[m], 0) / k;
  const accuracy = probabilities.reduce((s, r, i) => s + r[predicted[i]!]!, 0) / probabilities.length;
  return { accuracy, precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), roc_auc: mean('roc_auc') };
}

/** Multiclass components per class (variances and shares), fitted on the labelled reference (class indices). */
export function cbpeMulticlassComponents(truth: readonly number[], predicted: readonly number[], probabilities: readonly (readonly number[])[]): { perClass: SamplingComponents[]; accuracy: number } {
  const k = probabilities[0]?.length ?? 0;
  const perClass = Array.from({ length: k }, (_, c) =>
    binaryComponents(
      truth.map((y) => (y === c ? 1 : 0)),
      predicted.map((p) => (p === c ? 1 : 0)),
      probabilities.map((r) => r[c]!),
      true,
    ),
  );
  return { perClass, accuracy: std(truth.map((y, i) => (y === predicted[i] ? 1 : 0))) };
}

/**
 * Multiclass sampling errors of a window of `n` rows: sqrt(Σ var_c / (n · share_c)) / classes, and
 * NannyML's factor 1.2 on ROC AUC. Accuracy takes the standard deviation of per-row correctness
 * over sqrt(n), as for binary models.
 */
export function cbpeMulticlassSamplingErrors(c: { perClass: SamplingComponents[]; accuracy: number }, n: number): Record<CbpeMetric, number> {
  const k = c.perClass.length;
  const pooled = (m: CbpeMetric) => Math.sqrt(c.perClass.reduce((s, p) => s + p[m][0] / (n * p[m][1]), 0)) / k;
  return { accuracy: c.accuracy / Math.sqrt(n), precision: pooled('precision'), recall: pooled('recall'), f1: pooled('f1'), roc_auc: pooled('roc_auc') * 1.2 };
}
