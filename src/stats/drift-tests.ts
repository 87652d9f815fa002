import { binnedShares, categoryShares, histogram, isMissing, numbers, sturgesEdges, type Values } from './binning.js';
import { chi2Sf, normalSf } from './special.js';
import { kolmogorovSf } from './kolmogorov.js';

export type FeatureKind = 'num' | 'cat';

/** One test's verdict, by the test's own rule (see DRIFT_TESTS in drift-registry.ts). */
export interface TestResult {
  test: string;
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
}

/** A p-value test: drifted when p < threshold (KS and Cramér–von Mises use p ≤ threshold). */
export const pTest = (test: string, statistic: number, pValue: number, threshold: number, inclusive = false): TestResult => ({
  test,
  statistic,
  pValue,
  threshold,
  drifted: inclusive ? pValue <= threshold : pValue < threshold,
});
/** A distance: drifted at or above the threshold (energy distance only strictly above). */
export const distance = (test: string, value: number, threshold: number, strict = false): TestResult => ({
  test,
  statistic: value,
  pValue: null,
  threshold,
  drifted: strict ? value > threshold : value >= threshold,
});

/** Exact two-sided KS p-value for equal sizes (scipy's _compute_prob_outside_square). */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
    k--;
  }
  return 2 * p;
}

/**
 * Exact two-sided KS p-value for different sizes: the share of lattice paths from (0,0) to (m,n)
 * that leave the band |i/m - j/n| < d, by a banded dynamic programme over path probabilities
 * (B(i,j) = (i·B(i-1,j) + j·B(i,j-1)) / (i+j)), which never overflows.
 */
function outerProbInside(m: number, n: number, g: number, h: number): number {
  const mg = m / g;
  const ng = n / g;
  // j is inside the band at column i when (ng·i - h)/mg < j < (ng·i + h)/mg.
  const lo = (i: number) => Math.max(0, Math.floor((ng * i - h) / mg) + 1);
  const hi = (i: number) => Math.min(n, Math.ceil((ng * i + h) / mg) - 1);
  let prev = new Float64Array(n + 1);
  let cur = new Float64Array(n + 1);
  for (let j = lo(0); j <= hi(0); j++) prev[j] = 1;
  let prevLo = lo(0);
  let prevHi = hi(0);
  for (let i = 1; i <= m; i++) {
    const a = lo(i);
    const b = hi(i);
    if (a > b) return 1;
    let left = 0;
    for (let j = a; j <= b; j++) {
      const up = j >= prevLo && j <= prevHi ? prev[j]! : 0;
      left = (i * up + j * left) / (i + j);
      cur[j] = left;
    }
    prev.fill(0, prevLo, prevHi + 1);
    [prev, cur] = [cur, prev];
    prevLo = a;
    prevHi = b;
  }
  return 1 - (n >= prevLo && n <= prevHi ? prev[n]! : 0);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Two-sample Kolmogorov–Smirnov, two-sided, as scipy's ks_2samp(method="auto") for samples up to
 * 10,000: the exact p-value. Larger samples use scipy's asymptotic p-value, the one-sample
 * distribution at the effective size (`kolmogorov.ts`).
 */
export function ks2samp(reference: readonly number[], current: readonly number[], threshold = 0.05): TestResult {
  const a = Float64Array.from(reference).sort();
  const b = Float64Array.from(current).sort();
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < n1 && a[i] === x) i++;
    while (j < n2 && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / n1 - j / n2));
  }
  let p: number;
  if (Math.max(n1, n2) <= 10_000) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    d = h / lcm;
    p = h === 0 ? 1 : n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  } else {
    // scipy: the one-sample distribution kstwo at n = round(n1·n2 / (n1 + n2)).
    p = kolmogorovSf(Math.round((n1 * n2) / (n1 + n2)), d);
  }
  // Evidently: drifted when p ≤ threshold.
  return pTest('ks', d, Math.min(1, Math.max(0, p)), threshold, true);
}

/**
 * Evidently's L-infinity distance: the largest absolute difference between a category's share in
 * the reference and in the current data (drift above the threshold, default 0.1). Numbers are
 * taken as categories.
 */
export function lInfinity(reference: Values, current: Values, threshold = 0.1): TestResult {
  const { ref, cur } = categoryShares(reference, current);
  let d = 0;
  for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i]! - cur[i]!));
  return distance('l_infinity', d, threshold);
}

/** Evidently's chi-squared: current counts against reference shares scaled to the current size. */
export function chiSquare(reference: Values, current: Values, threshold = 0.05): TestResult {
  const { ref, cur } = categoryShares(reference, current);
  const refN = reference.length;
  const curN = current.length;
  const k = curN / refN;
  let stat = 0;
  for (let i = 0; i < ref.length; i++) {
    const expected = ref[i]! * refN * k;
    const observed = cur[i]! * curN;
    stat += expected === 0 ? (observed === 0 ? Number.NaN : Infinity) : (observed - expected) ** 2 / expected;
  }
  const p = Number.isFinite(stat) ? chi2Sf(stat, ref.length - 1) : 0;
  return pTest('chisquare', stat, p, threshold);
}

/** Evidently's Z-test for two proportions (the first category in sort order against the rest). */
export function zTest(reference: Values, current: Values, threshold = 0.05): TestResult {
  const present = (v: Values) => v.filter((x) => !isMissing(x));
  const r = present(reference);
  const c = present(current);
  // Python's sorted(): numbers by value, strings by code point.
  const keys = [...new Set([...r, ...c])].sort((x, y) => (typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0));
  if (new Set(r).size === 1 && new Set(c).size === 1 && r[0] === c[0]) return pTest('z', 0, 1, threshold);
  const first = keys[0];
  // Missing values count as "not the first key", as pandas' apply does with NaN.
  const p1 = reference.filter((x) => x !== first).length / reference.length;
  const p2 = current.filter((x) => x !== first).length / current.length;
  const n1 = reference.length;
  const n2 = current.length;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  return pTest('z', z, 2 * normalSf(Math.abs(z)), threshold);
}

/** Wasserstein-1 distance normed by the reference standard deviation (at least 0.001). */
export function wassersteinNorm(reference: readonly number[], current: readonly number[], threshold = 0.1): TestResult {
  // Typed-array sorts are numeric and several times faster than comparator sorts on large samples.
  const u = Float64Array.from(reference).sort();
  const v = Float64Array.from(current).sort();
  // Walk both sorted samples as one merged sequence: the integral of |U(x) - V(x)| dx.
  let iu = 0;
  let iv = 0;
  let w = 0;
  let x = Math.min(u[0]!, v[0]!);
  while (iu < u.length || iv < v.length) {
    while (iu < u.length && u[iu]! <= x) iu++;
    while (iv < v.length && v[iv]! <= x) iv++;
    const next = Math.min(iu < u.length ? u[iu]! : Infinity, iv < v.length ? v[iv]! : Infinity);
    if (next === Infinity) break;
    w += Math.abs(iu / u.length - iv / v.length) * (next - x);
    x = next;
  }
  let mean = 0;
  for (let i = 0; i < u.length; i++) mean += u[i]!;
  mean /= u.length;
  let ss = 0;
  for (let i = 0; i < u.length; i++) ss += (u[i]! - mean) ** 2;
  return distance('wasserstein', w / Math.max(Math.sqrt(ss / u.length), 0.001), threshold);
}

const normalise = (p: number[]) => {
  const s = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / s);
};

/** Population stability index on Evidently's bins. */
export function psi(reference: Values, current: Values, kind: FeatureKind, threshold = 0.1): TestResult {
  const { ref, cur } = binnedShares(reference, current, kind);
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += (ref[i]! - cur[i]!) * Math.log(ref[i]! / cur[i]!);
  return distance('psi', s, threshold);
}

/** Σ p·ln(p/q) over p > 0 (scipy's rel_entr summed). */
function relEntropy(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) s += p[i]! * Math.log(p[i]! / q[i]!);
  return s;
}

/** Kullback–Leibler divergence (scipy.stats.entropy) on Evidently's bins. */
export function klDiv(reference: Values, current: Values, kind: FeatureKind, threshold = 0.1): TestResult {
  const b = binnedShares(reference, current, kind);
  return distance('kl_div', relEntropy(normalise(b.ref), normalise(b.cur)), threshold);
}

/**
 * Jensen–Shannon distance (scipy.spatial.distance.jensenshannon, natural log) on Evidently's bins,
 * without filling empty bins: a category or bin seen on one side only counts as it is.
 */
export function jensenShannon(reference: Values, current: Values, kind: FeatureKind, threshold = 0.1): TestResult {
  const b = binnedShares(reference, current, kind, false);
  const p = normalise(b.ref);
  const q = normalise(b.cur);
  const m = p.map((x, i) => (x + q[i]!) / 2);
  return distance('jensenshannon', Math.sqrt(Math.max(0, (relEntropy(p, m) + relEntropy(q, m)) / 2)), threshold);
}

/** Hellinger distance as Evidently computes it (densities on Sturges bins of the distinct values). */
export function hellinger(reference: Values, current: Values, kind: FeatureKind, threshold = 0.1): TestResult {
  let bc = 0;
  if (kind === 'cat') {
    const { ref, cur } = categoryShares(reference.filter((v) => !isMissing(v)), current.filter((v) => !isMissing(v)));
    for (let i = 0; i < ref.length; i++) bc += Math.sqrt(ref[i]! * cur[i]!);
  } else {
    const r = numbers(reference);
    const c = numbers(current);
    const keys = [...new Set([...r, ...c])];
    const edges = sturgesEdges(keys);
    const density = (vals: number[]) => {
      const counts = histogram(vals, edges);
      const total = counts.reduce((a, b) => a + b, 0);
      return counts.map((n, i) => n / total / (edges[i + 1]! - edges[i]!));
    };
    const h1 = density(r);
    const h2 = density(c);
    // Evidently's bin width: the edges' span over the bin count (1 for a constant column).
    const width = (edges[edges.length - 1]! - edges[0]!) / h1.length;
    for (let i = 0; i < h1.length; i++) bc += Math.sqrt(h1[i]! * h2[i]!) * width;
  }
  return distance('hellinger', Math.sqrt(1 - Math.min(1, Math.max(0, bc))), threshold);
}
