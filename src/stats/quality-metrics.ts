/** Quality metrics once ground truth arrives, defined as scikit-learn defines them. */

export interface ClassificationMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Binary metrics with 1 as the positive label; zero_division = 0 as sklearn's option. */
export function binaryMetrics(y: readonly number[], pred: readonly number[]): ClassificationMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === pred[i]) correct++;
    if (pred[i] === 1 && y[i] === 1) tp++;
    else if (pred[i] === 1) fp++;
    else if (y[i] === 1) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { accuracy: correct / y.length, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** Macro-averaged precision, recall and F1 over the labels present in either y or pred. */
export function multiclassMetrics(y: readonly (number | string)[], pred: readonly (number | string)[]): ClassificationMetrics {
  const labels = [...new Set([...y, ...pred])];
  let p = 0;
  let r = 0;
  let f = 0;
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === pred[i]) correct++;
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < y.length; i++) {
      if (pred[i] === label && y[i] === label) tp++;
      else if (pred[i] === label) fp++;
      else if (y[i] === label) fn++;
    }
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    p += precision;
    r += recall;
    f += precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  }
  return { accuracy: correct / y.length, precision: p / labels.length, recall: r / labels.length, f1: f / labels.length };
}

/** ROC AUC as the Mann–Whitney statistic with tied scores counted half (sklearn's value). */
export function rocAuc(y: readonly number[], score: readonly number[]): number {
  const order = score.map((s, i) => [s, y[i]!] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let negatives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (order[k]![1] === 1) {
        positives++;
        rankSum += rank;
      } else negatives++;
    }
    i = j + 1;
  }
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Binary log loss with probabilities clipped to [eps, 1 - eps] (sklearn's default eps for float64). */
export function logLoss(y: readonly number[], p1: readonly number[]): number {
  const eps = 2.220446049250313e-16;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, p1[i]!));
    s -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / y.length;
}

/**
 * Expected calibration error of binary scores: over `bins` equal-width probability bins (as
 * sklearn's `calibration_curve(strategy="uniform")` places them), the row-weighted mean of
 * |share of positives − mean score|.
 */
export function calibrationError(y: readonly number[], p1: readonly number[], bins = 10): number {
  const edges = Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins);
  const count = new Float64Array(bins);
  const positives = new Float64Array(bins);
  const scores = new Float64Array(bins);
  for (let i = 0; i < y.length; i++) {
    let b = 0;
    while (b < edges.length && edges[b]! < p1[i]!) b++;
    count[b] = count[b]! + 1;
    positives[b] = positives[b]! + (y[i] === 1 ? 1 : 0);
    scores[b] = scores[b]! + p1[i]!;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) e += Math.abs(positives[b]! - scores[b]!);
  return e / y.length;
}

/** What binary scores add to the label metrics: ROC AUC (null with a single class), log loss and calibration error. */
export function scoreMetrics(y: readonly number[], p1: readonly number[]): { rocAuc: number | null; logLoss: number; calibrationError: number } {
  const auc = rocAuc(y, p1);
  return { rocAuc: Number.isNaN(auc) ? null : auc, logLoss: logLoss(y, p1), calibrationError: calibrationError(y, p1) };
}

export interface RegressionMetrics {
  mae: number;
  rmse: number;
  r2: number;
  mape: number;
}

export function regressionMetrics(y: readonly number[], pred: readonly number[]): RegressionMetrics {
  const n = y.length;
  let ae = 0;
  let se = 0;
  let ape = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i]! - pred[i]!;
    ae += Math.abs(e);
    se += e * e;
    // sklearn divides by max(|y|, machine epsilon).
    ape += Math.abs(e) / Math.max(Math.abs(y[i]!), 2.220446049250313e-16);
    ss += (y[i]! - mean) ** 2;
  }
  return { mae: ae / n, rmse: Math.sqrt(se / n), r2: ss === 0 ? (se === 0 ? 1 : 0) : 1 - se / ss, mape: ape / n };
}

/**
 * Confidence-based performance estimation (NannyML's CBPE) for a binary classifier whose scores
 * are calibrated: each row contributes its expected confusion-matrix entries (a predicted 1 with
 * score p is a true positive with probability p), so accuracy, precision, recall and F1 can be
 * estimated before any label arrives.
 */
export function estimateBinaryMetrics(score: readonly number[], threshold = 0.5): ClassificationMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const p of score) {
    if (p > threshold) {
      tp += p;
      fp += 1 - p;
    } else {
      fn += p;
      tn += 1 - p;
    }
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    accuracy: (tp + tn) / score.length,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
  };
}
