/**
 * Business value of predictions: what a confusion matrix is worth under a model's outcome
 * values, what absolute errors cost, and CBPE's estimate of the value before labels arrive.
 * Pure maths; checked against numpy and scikit-learn on `test/fixtures/stats/value-cases.json`.
 */

/** What each outcome of one class is worth. */
export interface OutcomeValues {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Counts of a binary confusion matrix (expected counts for an estimate). */
export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** z of a two-sided 95 % normal band. */
export const Z95 = 1.959963984540054;

/** The confusion matrix of 0/1 labels and 0/1 predictions (1 is the positive class). */
export function binaryConfusion(y: readonly number[], pred: readonly number[]): Confusion {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < y.length; i++) {
    const t = y[i] === 1;
    const p = pred[i] === 1;
    if (p) c[t ? 'tp' : 'fp']++;
    else c[t ? 'fn' : 'tn']++;
  }
  return c;
}

/** What a confusion matrix is worth: each count times its outcome's value. */
export function confusionValue(c: Confusion, v: OutcomeValues): number {
  return c.tp * v.tp + c.fp * v.fp + c.fn * v.fn + c.tn * v.tn;
}

/**
 * Value of multiclass predictions, one-vs-rest per class valued: for class c a row is a true
 * positive (label and prediction c), a false positive (prediction c, label not), a false negative
 * (label c, prediction not) or a true negative; a row counts once for every class valued. Labels
 * and predictions are compared as strings, so 1 and "1" are the same class.
 */
export function multiclassValue(y: readonly (string | number)[], pred: readonly (string | number)[], classes: Readonly<Record<string, OutcomeValues>>): number {
  let total = 0;
  for (const [c, v] of Object.entries(classes)) {
    const m = { tp: 0, fp: 0, fn: 0, tn: 0 };
    for (let i = 0; i < y.length; i++) {
      const t = String(y[i]) === c;
      const p = String(pred[i]) === c;
      if (p) m[t ? 'tp' : 'fp']++;
      else m[t ? 'fn' : 'tn']++;
    }
    total += confusionValue(m, v);
  }
  return total;
}

/** Value of regression predictions: minus the cost of one unit of absolute error times the summed absolute errors. */
export function regressionValue(y: readonly number[], pred: readonly number[], absErrorCost: number): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += Math.abs(y[i]! - pred[i]!);
  return sum === 0 ? 0 : -absErrorCost * sum;
}

/** An estimated total value and the variance of the total. */
export interface ValueEstimate {
  total: number;
  variance: number;
}

/**
 * CBPE's estimate of a binary classifier's value from calibrated class-1 scores, before any label
 * arrives. A row predicted positive (score above `threshold`, as in `estimateBinaryMetrics`) with
 * score p is a true positive with probability p and a false positive otherwise; a row predicted
 * negative is a false negative with probability p and a true negative otherwise. The total is the
 * sum of each row's expected value; rows being independent Bernoulli draws, its variance is the
 * sum of p(1 − p)(win − lose)².
 */
export function estimateBinaryValue(score: readonly number[], v: OutcomeValues, threshold = 0.5): ValueEstimate {
  let total = 0;
  let variance = 0;
  for (const p of score) {
    const [win, lose] = p > threshold ? [v.tp, v.fp] : [v.fn, v.tn];
    total += p * win + (1 - p) * lose;
    variance += p * (1 - p) * (win - lose) ** 2;
  }
  return { total, variance };
}

/** A total as value per 1,000 predictions (null without predictions). */
export function per1000(total: number, rows: number): number | null {
  return rows > 0 ? (total / rows) * 1000 : null;
}

/** The 95 % band of an estimate per 1,000 predictions. */
export function band1000(e: ValueEstimate, rows: number): { per1000: number; low: number; high: number } {
  const mid = (e.total / rows) * 1000;
  const half = ((Z95 * Math.sqrt(e.variance)) / rows) * 1000;
  return { per1000: mid, low: mid - half, high: mid + half };
}

/**
 * CBPE's estimate of a multiclass classifier's value, one-vs-rest per valued class, from each
 * row's class probabilities and served prediction. The row's true class K is drawn from its
 * probabilities, and its value f(K) sums every valued class's outcome, so the row's expected value
 * is Σₖ pₖ f(k) and its variance Σₖ pₖ f(k)² − (Σₖ pₖ f(k))², exactly (the classes of one row are
 * not independent). `column` maps each valued class to its column of the probabilities; columns
 * of classes not valued only count through the classes that are.
 */
export function estimateMulticlassValue(
  probabilities: readonly (readonly number[])[],
  predicted: readonly string[],
  classes: Readonly<Record<string, OutcomeValues>>,
  column: Readonly<Record<string, number>>,
): ValueEstimate {
  const valued = Object.entries(classes).map(([c, v]) => ({ c, v, j: column[c]! }));
  let total = 0;
  let variance = 0;
  probabilities.forEach((p, i) => {
    const pred = predicted[i];
    // f(k) for a true class k in column k: each valued class's outcome.
    const f = (k: number) => valued.reduce((s, { c, v, j }) => s + (pred === c ? (k === j ? v.tp : v.fp) : k === j ? v.fn : v.tn), 0);
    let mean = 0;
    let square = 0;
    for (let k = 0; k < p.length; k++) {
      const fk = f(k);
      mean += p[k]! * fk;
      square += p[k]! * fk * fk;
    }
    total += mean;
    variance += Math.max(0, square - mean * mean);
  });
  return { total, variance };
}
