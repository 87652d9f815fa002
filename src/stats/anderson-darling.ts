import type { TestResult } from './drift-tests.js';

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Least-squares quadratic through the points (numpy.polyfit(x, y, 2)); returns [a, b, c] for ax² + bx + c. */
function quadraticFit(x: readonly number[], y: readonly number[]): [number, number, number] {
  // Normal equations, solved by Cramer's rule: 3×3 and well conditioned for these 7 points.
  const s = [0, 0, 0, 0, 0];
  const t = [0, 0, 0];
  for (let i = 0; i < x.length; i++) {
    let p = 1;
    for (let k = 0; k < 5; k++) {
      s[k]! += p;
      if (k < 3) t[k]! += p * y[i]!;
      p *= x[i]!;
    }
  }
  const m = [
    [s[4]!, s[3]!, s[2]!],
    [s[3]!, s[2]!, s[1]!],
    [s[2]!, s[1]!, s[0]!],
  ];
  const r = [t[2]!, t[1]!, t[0]!];
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) - a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) + a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  const col = (j: number) => det(m.map((row, i) => row.map((v, k) => (k === j ? r[i]! : v))));
  return [col(0) / d, col(1) / d, col(2) / d];
}

const SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/**
 * k-sample Anderson–Darling (Scholz & Stephens 1987, midrank version) as scipy's anderson_ksamp:
 * the normalised statistic, and a p-value interpolated from its critical values, capped to
 * [0.001, 0.25] as scipy caps it. Evidently's default threshold is 0.1, drift when p < threshold.
 */
export function andersonDarling(samples: readonly (readonly number[])[], threshold = 0.1): TestResult {
  const k = samples.length;
  if (k < 2) throw new RangeError('Anderson–Darling needs at least two samples');
  const n = samples.map((s) => s.length);
  if (n.some((x) => x === 0)) throw new RangeError('Anderson–Darling needs values in every sample');
  const Z = samples.flat().sort((a, b) => a - b);
  const N = Z.length;
  const Zstar = Z.filter((v, i) => i === 0 || v !== Z[i - 1]);
  if (Zstar.length < 2) throw new RangeError('Anderson–Darling needs more than one distinct value');
  const left = Zstar.map((z) => lowerBound(Z, z));
  const lj = Zstar.map((z, j) => (N === Zstar.length ? 1 : upperBound(Z, z) - left[j]!));
  const Bj = left.map((l, j) => l + lj[j]! / 2);
  let A2akN = 0;
  for (let i = 0; i < k; i++) {
    const s = [...samples[i]!].sort((a, b) => a - b);
    let inner = 0;
    for (let j = 0; j < Zstar.length; j++) {
      const right = upperBound(s, Zstar[j]!);
      const fij = right - lowerBound(s, Zstar[j]!);
      const Mij = right - fij / 2;
      inner += ((lj[j]! / N) * (N * Mij - Bj[j]! * n[i]!) ** 2) / (Bj[j]! * (N - Bj[j]!) - (N * lj[j]!) / 4);
    }
    A2akN += inner / n[i]!;
  }
  A2akN *= (N - 1) / N;
  const H = n.reduce((acc, x) => acc + 1 / x, 0);
  // hs_cs = cumsum(1/(N-1), 1/(N-2), …, 1/2); h = its last value + 1; g = Σ hs_cs[i] / (i + 2).
  let cum = 0;
  let g = 0;
  for (let i = 0, d = N - 1; d > 1; i++, d--) {
    cum += 1 / d;
    g += cum / (i + 2);
  }
  const h = cum + 1;
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const b = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const c = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const dd = (2 * h + 6) * k ** 2 - 4 * h * k;
  const sigmasq = (a * N ** 3 + b * N ** 2 + c * N + dd) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const A2 = (A2akN - m) / Math.sqrt(sigmasq);
  const critical = B0.map((b0, i) => b0 + B1[i]! / Math.sqrt(m) + B2[i]! / m);
  let p: number;
  if (A2 < Math.min(...critical)) p = Math.max(...SIG);
  else if (A2 > Math.max(...critical)) p = Math.min(...SIG);
  else {
    const [qa, qb, qc] = quadraticFit(critical, SIG.map(Math.log));
    p = Math.exp(qa * A2 * A2 + qb * A2 + qc);
  }
  return { test: 'anderson', statistic: A2, pValue: p, threshold, drifted: p < threshold };
}
