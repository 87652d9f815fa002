import { isMissing, type Values } from './binning.js';
import { Mt19937 } from './mt19937.js';
import { chi2Sf, lchoose } from './special.js';
import { pTest, type TestResult } from './drift-tests.js';

type Key = string | number | boolean;
const keyOf = (v: Key) => `${typeof v}:${String(v)}`;

/** Counts per category over the union of both samples' categories (reference first seen first). */
function counts(reference: Values, current: Values): { keys: Key[]; ref: number[]; cur: number[] } {
  const index = new Map<string, number>();
  const keys: Key[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  const add = (v: Key, into: number[]) => {
    const k = keyOf(v);
    let i = index.get(k);
    if (i === undefined) {
      i = keys.length;
      index.set(k, i);
      keys.push(v);
      ref.push(0);
      cur.push(0);
    }
    into[i]!++;
  };
  for (const v of reference) if (!isMissing(v)) add(v as Key, ref);
  for (const v of current) if (!isMissing(v)) add(v as Key, cur);
  return { keys, ref, cur };
}

/**
 * Evidently's `g_test`: scipy's power_divergence(lambda_="log-likelihood") of the current counts
 * against the reference counts scaled to the current size; k - 1 degrees of freedom.
 */
export function gTest(reference: Values, current: Values, threshold = 0.1): TestResult {
  const { ref, cur } = counts(reference, current);
  const k = current.length / reference.length;
  let g = 0;
  for (let i = 0; i < ref.length; i++) {
    const expected = ref[i]! * k;
    const observed = cur[i]!;
    if (observed === 0) continue;
    g += expected === 0 ? Infinity : 2 * observed * Math.log(observed / expected);
  }
  const p = Number.isFinite(g) ? chi2Sf(g, ref.length - 1) : 0;
  return pTest('g_test', g, p, threshold);
}

/** Two-sided p-value of Fisher's exact test on [[a, b], [c, d]], as scipy's fisher_exact. */
export function fisherExactP(a: number, b: number, c: number, d: number): number {
  if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0) return 1;
  const n1 = a + b;
  const n2 = c + d;
  const n = a + c;
  const logPmf = (x: number) => lchoose(n1, x) + lchoose(n2, n - x) - lchoose(n1 + n2, n);
  const lo = Math.max(0, n - n2);
  const hi = Math.min(n, n1);
  const mode = Math.floor(((n + 1) * (n1 + 1)) / (n1 + n2 + 2));
  const pExact = Math.exp(logPmf(a));
  const pMode = Math.exp(logPmf(mode));
  if (Math.abs(pExact - pMode) / Math.max(pExact, pMode) <= 1e-14) return 1;
  // Every table at most as likely as the observed one (with scipy's relative slack).
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const px = Math.exp(logPmf(x));
    if (px <= pExact * (1 + 1e-7)) p += px;
  }
  return Math.min(1, p);
}

/**
 * Evidently's `fisher_exact` on binary columns: the 2×2 table of the two categories' counts in the
 * current and reference data. Evidently requires samples of equal length and two categories at
 * most on each side; with more than two across both it maps them in Python's hash order, so
 * Sextant refuses those columns.
 */
export function fisherExact(reference: Values, current: Values, threshold = 0.1): TestResult {
  if (reference.length !== current.length) throw new RangeError('fisher_exact needs reference and current samples of equal length');
  const { keys, ref, cur } = counts(reference, current);
  if (keys.length > 2) throw new RangeError('fisher_exact needs binary data: at most two categories across reference and current');
  const [oneCur, zeroCur, oneRef, zeroRef] = [cur[0] ?? 0, cur[1] ?? 0, ref[0] ?? 0, ref[1] ?? 0];
  const odds = zeroRef > 0 && zeroCur > 0 ? (oneCur * zeroRef) / (oneRef * zeroCur) : Infinity;
  return pTest('fisher_exact', odds, fisherExactP(oneCur, zeroCur, oneRef, zeroRef), threshold);
}

/**
 * Evidently's `TVD`: the total variation distance between the category shares, with the p-value of
 * Evidently's permutation test (1,000 permutations of the pooled values, numpy's generator seeded
 * with 0, so the same permutations). Drift when p < threshold.
 */
export function totalVariation(reference: Values, current: Values, threshold = 0.1, iterations = 1000): TestResult {
  const { keys, ref, cur } = counts(reference, current);
  const n = reference.length;
  const m = current.length;
  // Twice the distance times n·m, an integer: equal distances compare equal.
  const scaled = (r: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < keys.length; i++) s += Math.abs(r[i]! * m - (ref[i]! + cur[i]! - r[i]!) * n);
    return s;
  };
  const observed = scaled(ref);
  const index = new Map(keys.map((k, i) => [keyOf(k), i]));
  const pooled = Int32Array.from([...reference, ...current].filter((v) => !isMissing(v)), (v) => index.get(keyOf(v as Key))!);
  const rng = new Mt19937(0);
  const permuted = new Int32Array(keys.length);
  let atLeast = 0;
  for (let it = 0; it < iterations; it++) {
    const perm = rng.permutation(pooled.length);
    permuted.fill(0);
    for (let i = 0; i < n; i++) permuted[pooled[perm[i]!]!]!++;
    if (observed <= scaled(permuted)) atLeast++;
  }
  return pTest('TVD', observed / (2 * n * m), atLeast / iterations, threshold);
}
