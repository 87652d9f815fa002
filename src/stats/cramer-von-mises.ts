import { lgamma } from './special.js';
import type { TestResult } from './drift-tests.js';

/** Modified Bessel function of the second kind K_ν(x), x > 0, by the trapezoid rule on ∫₀^∞ e^{-x cosh t} cosh(νt) dt (exponentially convergent). */
export function besselK(nu: number, x: number): number {
  const h = 0.02;
  let sum = 0.5 * Math.exp(-x);
  for (let t = h; ; t += h) {
    const term = Math.exp(-x * Math.cosh(t)) * Math.cosh(nu * t);
    sum += term;
    if (term < 1e-18 * sum || t > 50) break;
  }
  return sum * h;
}

/** CDF of the limiting Cramér–von Mises distribution, summed exactly as scipy does (terms down to 1e-7). */
function cdfCvmInf(x: number): number {
  let total = 0;
  for (let k = 0; ; k++) {
    const u = Math.exp(lgamma(k + 0.5) - lgamma(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x));
    const y = 4 * k + 1;
    const q = (y * y) / (16 * x);
    const z = u * Math.sqrt(y) * Math.exp(-q) * besselK(0.25, q);
    total += z;
    if (Math.abs(z) < 1e-7) break;
  }
  return total;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Exact p-value for small samples (Xiao, Gordon & Yakovlev 2006), as scipy's _pval_cvm_2samp_exact. */
function exactPValue(s: number, m: number, n: number): number {
  const lcm = (m * n) / gcd(m, n);
  const a = lcm / m;
  const b = lcm / n;
  const mn = m * n;
  const zeta = Math.floor((lcm ** 2 * (m + n) * (6 * s - mn * (4 * mn - 1))) / (6 * mn ** 2));
  let gs: Map<number, number>[] = [new Map([[0, 1]]), ...Array.from({ length: m }, () => new Map<number, number>())];
  for (let u = 0; u <= n; u++) {
    const next: Map<number, number>[] = [];
    let tmp = new Map<number, number>();
    for (let v = 0; v <= m; v++) {
      const merged = new Map(tmp);
      for (const [value, freq] of gs[v]!) merged.set(value, (merged.get(value) ?? 0) + freq);
      const shift = (a * v - b * u) ** 2;
      tmp = new Map();
      for (const [value, freq] of merged) tmp.set(value + shift, freq);
      next.push(tmp);
    }
    gs = next;
  }
  let hits = 0;
  for (const [value, freq] of gs[m]!) if (value >= zeta) hits += freq;
  return hits / binomial(m + n, m);
}

/** Average ranks (ties share their mean rank), 1-based. */
function averageRanks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/**
 * Two-sample Cramér–von Mises test as scipy's cramervonmises_2samp(method="auto"): exact p-value
 * when both samples have at most 20 values, the asymptotic distribution otherwise. Evidently's
 * default threshold is 0.1 and it calls drift when p ≤ threshold.
 */
export function cramerVonMises(x: readonly number[], y: readonly number[], threshold = 0.1): TestResult {
  const nx = x.length;
  const ny = y.length;
  if (nx < 2 || ny < 2) throw new RangeError('Cramér–von Mises needs at least two values in each sample');
  const ranks = averageRanks([...x, ...y]);
  const rx = ranks.slice(0, nx).sort((p, q) => p - q);
  const ry = ranks.slice(nx).sort((p, q) => p - q);
  let u = 0;
  for (let i = 0; i < nx; i++) u += nx * (rx[i]! - (i + 1)) ** 2;
  for (let i = 0; i < ny; i++) u += ny * (ry[i]! - (i + 1)) ** 2;
  const k = nx * ny;
  const N = nx + ny;
  const t = u / (k * N) - (4 * k - 1) / (6 * N);
  let p: number;
  if (Math.max(nx, ny) <= 20) p = exactPValue(u, nx, ny);
  else {
    const et = (1 + 1 / N) / 6;
    let vt = (N + 1) * (4 * k * N - 3 * (nx * nx + ny * ny) - 2 * k);
    vt = vt / (45 * N * N * 4 * k);
    const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt);
    p = tn < 0.003 ? 1 : Math.max(0, 1 - cdfCvmInf(tn));
  }
  return { test: 'cramer_von_mises', statistic: t, pValue: p, threshold, drifted: p <= threshold };
}
