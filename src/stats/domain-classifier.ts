import { isDropped, type Values } from './binning.js';
import { rocAuc } from './quality-metrics.js';

/**
 * A classifier the domain-classifier test trains: fit on labelled training rows (columns of numbers,
 * NaN = missing; label 1 = current), return a score for every test row (higher = more likely current).
 */
export type FitScore = (train: { features: string[]; columns: Float64Array[]; labels: number[] }, test: Float64Array[]) => Promise<ArrayLike<number>>;

export interface DomainClassifierOptions {
  features?: string[];
  /** Cross-validation folds (default 5). */
  folds?: number;
  /** Drifted when the cross-validated ROC AUC exceeds this (default 0.65, NannyML's upper threshold). */
  threshold?: number;
  /** Rows used per side at most, taken evenly spaced (default 10,000): the classifier's cost bound. */
  maxRows?: number;
}

export interface DomainClassifierDrift {
  method: 'domain_classifier';
  features: string[];
  /** Out-of-fold ROC AUC of telling current rows from reference rows (0.5: indistinguishable). */
  auc: number;
  threshold: number;
  drifted: boolean;
  folds: number;
  rows: { reference: number; current: number };
}

const keyOf = (v: unknown) => `${typeof v}:${String(v)}`;

/** Evenly spaced row indices, at most `max` of them. */
function sampleRows(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

/**
 * Multivariate drift by a domain classifier: a model learns to tell current rows from reference
 * rows; the stratified k-fold cross-validated ROC AUC of its out-of-fold scores is the drift score.
 * Numbers are used as they are (missing as NaN), categories as their share in the reference
 * (unseen: 0). Deterministic: folds are assigned by position within each side.
 */
export async function domainClassifierDrift(reference: Record<string, Values>, current: Record<string, Values>, fitScore: FitScore, options: DomainClassifierOptions = {}): Promise<DomainClassifierDrift> {
  const features = options.features ?? Object.keys(reference).filter((f) => f in current);
  const folds = options.folds ?? 5;
  const threshold = options.threshold ?? 0.65;
  const maxRows = options.maxRows ?? 10_000;
  if (features.length === 0) throw new RangeError('the domain classifier needs a feature both datasets share');
  const rowsOf = (data: Record<string, Values>) => Math.max(...features.map((f) => data[f]?.length ?? 0));
  const refIdx = sampleRows(rowsOf(reference), maxRows);
  const curIdx = sampleRows(rowsOf(current), maxRows);
  if (refIdx.length < folds || curIdx.length < folds) throw new RangeError(`the domain classifier needs at least ${folds} rows on each side`);
  const n = refIdx.length + curIdx.length;
  const columns = features.map((f) => {
    const ref = reference[f] ?? [];
    const cur = current[f] ?? [];
    const numeric = [...ref, ...cur].every((v) => isDropped(v) || typeof v === 'number');
    const col = new Float64Array(n);
    if (numeric) {
      refIdx.forEach((r, i) => (col[i] = isDropped(ref[r]) ? NaN : (ref[r] as number)));
      curIdx.forEach((r, i) => (col[refIdx.length + i] = isDropped(cur[r]) ? NaN : (cur[r] as number)));
      return col;
    }
    const counts = new Map<string, number>();
    for (const v of ref) if (!isDropped(v)) counts.set(keyOf(v), (counts.get(keyOf(v)) ?? 0) + 1);
    const share = (v: unknown) => (isDropped(v) ? NaN : (counts.get(keyOf(v)) ?? 0) / ref.length);
    refIdx.forEach((r, i) => (col[i] = share(ref[r])));
    curIdx.forEach((r, i) => (col[refIdx.length + i] = share(cur[r])));
    return col;
  });
  const labels = Array.from({ length: n }, (_, i) => (i < refIdx.length ? 0 : 1));
  // Stratified folds: the k-th row of each side goes to fold k mod folds.
  const fold = labels.map((y, i) => (y === 0 ? i : i - refIdx.length) % folds);
  const scores = new Float64Array(n);
  for (let k = 0; k < folds; k++) {
    const train: number[] = [];
    const test: number[] = [];
    fold.forEach((f, i) => (f === k ? test : train).push(i));
    const pick = (rows: number[]) => columns.map((c) => Float64Array.from(rows, (i) => c[i]!));
    const s = await fitScore({ features, columns: pick(train), labels: train.map((i) => labels[i]!) }, pick(test));
    test.forEach((i, q) => (scores[i] = s[q]!));
  }
  const auc = rocAuc(labels, Array.from(scores));
  return { method: 'domain_classifier', features, auc, threshold, drifted: auc > threshold, folds, rows: { reference: refIdx.length, current: curIdx.length } };
}
