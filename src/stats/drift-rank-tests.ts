import { chi2Sf, normalSf, studentTwoSided } from './special.js';
import { distance, pTest, type TestResult } from './drift-tests.js';
import { symmetricEigen } from './symmetric-eigen.js';

const sorted = (xs: readonly number[]) => Float64Array.from(xs).sort();

/** Average ranks (ties share their mean rank), 1-based, and the tie term Σ(t³ - t). */
function ranks(values: readonly number[]): { ranks: Float64Array; tieTerm: number } {
  const order = Array.from(values.keys()).sort((i, j) => values[i]! - values[j]!);
  const r = new Float64Array(values.length);
  let tieTerm = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  return { ranks: r, tieTerm };
}

/**
 * Counts of the Mann–Whitney U statistic for sample sizes s and l (s small): the coefficients of the
 * Gaussian binomial [s + l choose s]_q, built one factor (1 - q^(l+i)) / (1 - q^i) at a time.
 */
function uCounts(s: number, l: number): Float64Array {
  const c = new Float64Array(s * l + 1);
  c[0] = 1;
  for (let i = 1; i <= s; i++) {
    const deg = i * l;
    // Divide by (1 - q^i): a running sum with stride i.
    for (let k = i; k <= deg; k++) c[k]! += c[k - i]!;
    // Multiply by (1 - q^(l+i)), from the top so each term reads the undivided value.
    for (let k = deg; k >= l + i; k--) c[k]! -= c[k - l - i]!;
  }
  return c;
}

/**
 * Evidently's `mannw`: scipy's mannwhitneyu(reference, current, alternative="less"), method "auto"
 * (exact when one side has at most 8 values and there are no ties; otherwise the normal
 * approximation with tie and continuity corrections). The statistic is U of the reference.
 */
export function mannWhitney(reference: readonly number[], current: readonly number[], threshold = 0.05): TestResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannw needs values on both sides');
  const { ranks: r, tieTerm } = ranks([...reference, ...current]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += r[i]!;
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  let p: number;
  if ((n1 > 8 && n2 > 8) || tieTerm > 0) {
    const n = n1 + n2;
    const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    p = normalSf((u2 - (n1 * n2) / 2 - 0.5) / s);
  } else {
    // sf(U2) = P(U ≥ U2) = P(U ≤ n1·n2 - U2) by symmetry.
    const counts = uCounts(Math.min(n1, n2), Math.max(n1, n2));
    let total = 0;
    for (const x of counts) total += x;
    let below = 0;
    for (let k = 0; k <= n1 * n2 - u2; k++) below += counts[k]!;
    p = below / total;
  }
  return pTest('mannw', u1, Math.min(1, Math.max(0, p)), threshold);
}

const mean = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
};

/**
 * Evidently's `t_test`: scipy's ttest_ind (equal variances, two-sided). Zero variance on both sides
 * with equal means leaves scipy with NaN, which Evidently reads as no drift; Sextant says p = 1.
 */
export function tTest(reference: readonly number[], current: readonly number[], threshold = 0.05): TestResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 + n2 < 3) throw new RangeError('t_test needs at least three values');
  const m1 = mean(reference);
  const m2 = mean(current);
  let ss1 = 0;
  let ss2 = 0;
  for (const x of reference) ss1 += (x - m1) ** 2;
  for (const x of current) ss2 += (x - m2) ** 2;
  const df = n1 + n2 - 2;
  const denom = Math.sqrt(((ss1 + ss2) / df) * (1 / n1 + 1 / n2));
  const t = (m1 - m2) / denom;
  if (Number.isNaN(t)) return pTest('t_test', 0, 1, threshold);
  return pTest('t_test', t, studentTwoSided(t, df), threshold);
}

/** numpy.percentile with linear interpolation, on a sorted array. */
function percentile(s: Float64Array, q: number): number {
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * Evidently's `es`: scipy's epps_singleton_2samp at t = (0.4, 0.8): empirical characteristic
 * functions, their pooled covariance inverted as numpy's pinv does, chi-squared with the rank as
 * degrees of freedom, and the small-sample correction below 25 values.
 */
export function eppsSingleton(reference: readonly number[], current: readonly number[], threshold = 0.05): TestResult {
  const nx = reference.length;
  const ny = current.length;
  if (nx < 5 || ny < 5) throw new RangeError('es needs at least 5 values on each side');
  const all = sorted([...reference, ...current]);
  const iqr = percentile(all, 75) - percentile(all, 25);
  if (iqr === 0) throw new RangeError('es: the interquartile range of the data is zero');
  const sigma = iqr / 2;
  const ts = [0.4 / sigma, 0.8 / sigma];
  const features = (x: number) => [Math.cos(ts[0]! * x), Math.cos(ts[1]! * x), Math.sin(ts[0]! * x), Math.sin(ts[1]! * x)];
  const moments = (xs: readonly number[]) => {
    const g = xs.map(features);
    const mu = [0, 1, 2, 3].map((j) => mean(g.map((row) => row[j]!)));
    const cov = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => mean(g.map((row) => (row[i]! - mu[i]!) * (row[j]! - mu[j]!)))));
    return { mu, cov };
  };
  const gx = moments(reference);
  const gy = moments(current);
  const n = nx + ny;
  const est = gx.cov.map((row, i) => row.map((v, j) => (n / nx) * v + (n / ny) * gy.cov[i]![j]!));
  const { values, vectors } = symmetricEigen(est);
  // numpy's pinv drops singular values below 1e-15 of the largest, where rounding noise decides
  // for degenerate data (few distinct values); 1e-10 drops that noise and nothing real.
  const cutoff = 1e-10 * Math.max(...values.map(Math.abs));
  const kept = values.map((l) => Math.abs(l) > cutoff);
  const rank = kept.filter(Boolean).length;
  const diff = gx.mu.map((m, i) => m - gy.mu[i]!);
  let w = 0;
  for (let k = 0; k < 4; k++) {
    if (!kept[k]) continue;
    let proj = 0;
    for (let i = 0; i < 4; i++) proj += vectors[i]![k]! * diff[i]!;
    w += (proj * proj) / values[k]!;
  }
  w *= n;
  if (Math.max(nx, ny) < 25) w *= 1 / (1 + n ** -0.45 + 10.1 * (nx ** -1.7 + ny ** -1.7));
  return pTest('es', w, chi2Sf(w, rank), threshold);
}

/**
 * Evidently's `ed`: scipy's energy_distance, √2 times the L2 distance between the two empirical
 * CDFs. Drifted strictly above the threshold.
 */
export function energyDistance(reference: readonly number[], current: readonly number[], threshold = 0.1): TestResult {
  const u = sorted(reference);
  const v = sorted(current);
  const all = sorted([...reference, ...current]);
  let iu = 0;
  let iv = 0;
  let s = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k]!;
    while (iu < u.length && u[iu]! <= x) iu++;
    while (iv < v.length && v[iv]! <= x) iv++;
    s += (all[k + 1]! - x) * (iu / u.length - iv / v.length) ** 2;
  }
  return distance('ed', Math.SQRT2 * Math.sqrt(s), threshold, true);
}
