import { lgamma } from './special.js';

/**
 * Survival function of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, P(D_n > x),
 * following Simard & L'Ecuyer (2011), "Computing the two-sided Kolmogorov–Smirnov distribution":
 * the Ruben–Gambino closed forms at the extremes, the exact one-sided formula (Birnbaum–Tingey)
 * where the two tails cannot both be crossed or where it is accurate enough, Durbin's matrix
 * method (as Marsaglia, Tsang & Wang compute it) and Pomeranz's recursion for small n, and the
 * Pelz–Good expansion for large n. This is what scipy's `kstwo.sf` computes, which `ks_2samp`
 * uses for its asymptotic p-value.
 */
export function kolmogorovSf(n: number, x: number): number {
  if (!(x > 0)) return 1;
  if (x >= 1) return 0;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    // P(D_n <= x) = n!/n^n (2t - 1)^n.
    return clip(1 - Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1)));
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 0.754693) return clip(1 - durbinCdf(n, x));
    if (nxx <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

const clip = (p: number) => Math.min(1, Math.max(0, p));

/** log(n! / n^n) by Stirling's series with n log n taken out first (no cancellation). */
function logFactorialOverPower(n: number): number {
  const r = 1 / n;
  const r2 = r * r;
  // Bernoulli terms B_2j / (2j (2j - 1)) / n^(2j-1), j = 1..4.
  const series = r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 / 1680)));
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + series;
}

/**
 * Exact one-sided tail P(D_n^+ >= x) (Birnbaum & Tingey 1951):
 * x Σ_{j=0}^{⌊n(1-x)⌋} C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1), summed in logs.
 */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const last = Math.floor(n * (1 - x) + 1e-12);
  const lgn = lgamma(n + 1);
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    const a = 1 - x - j / n;
    if (a <= 0) continue;
    const logTerm = lgn - lgamma(j + 1) - lgamma(n - j + 1) + (n - j) * Math.log(a) + (j - 1) * Math.log(x + j / n);
    sum += Math.exp(logTerm);
  }
  return clip(x * sum);
}

const SCALE_EXP = 128;
const SCALE = 2 ** SCALE_EXP;

/** Multiplies by 2^e without overflowing in the factor. */
function ldexp(v: number, e: number): number {
  let r = v;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j] = c[i * m + j]! + aik * b[k * m + j]!;
    }
  }
  return c;
}

/**
 * P(D_n <= d) by Durbin's matrix: with d = (k - h)/n, the (k, k) entry of H^n times n!/n^n, where
 * H is the (2k-1)-square matrix of Marsaglia, Tsang & Wang (2003); powers are scaled by 2^128 as
 * they grow so nothing overflows.
 */
function durbinCdf(n: number, d: number): number {
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  // v[j] = (1 - h^(j+1)) / (j+1)!,  w[j] = 1 / j!
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * fac;
  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;
  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let expP = 0;
  let expH = 0;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2) {
      P = matmul(P, H, m);
      expP += expH;
    }
    H = matmul(H, H, m);
    expH *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > SCALE) {
      for (let i = 0; i < H.length; i++) H[i] = H[i]! / SCALE;
      expH += SCALE_EXP;
    }
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < 1 / SCALE) {
      p *= SCALE;
      expP -= SCALE_EXP;
    }
  }
  return clip(ldexp(p, expP));
}

/** Start and end (inclusive) of the non-zero entries of row i of Pomeranz's recursion. */
function pomeranzSpan(i: number, n: number, l: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -l - ceilf - 1;
    j2 = l + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - l - ceilf - 1;
        j2 = n + l + ceilf - 1;
      } else {
        j1 = half - 1 - l - roundf - 1;
        j2 = half + l - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - l - 1;
      j2 = half + l + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/**
 * P(D_n <= x) by Pomeranz's recursion (1974): 2n+1 steps, each a convolution of the previous row
 * with (almost) Poisson weights, only the non-zero band kept, rescaled to avoid underflow.
 */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const l = Math.floor(t);
  const f = t - l;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npow = 2 * (l + 1);
  const gp = new Float64Array(npow);
  const twogp = new Float64Array(npow);
  const onem2gp = new Float64Array(npow);
  gp[0] = twogp[0] = onem2gp[0] = 1;
  for (let m = 1; m < npow; m++) {
    gp[m] = (gp[m - 1]! * (g / n)) / m;
    twogp[m] = (twogp[m - 1]! * ((2 * g) / n)) / m;
    onem2gp[m] = (onem2gp[m - 1]! * ((1 - 2 * g) / n)) / m;
  }
  let V0 = new Float64Array(npow);
  let V1 = new Float64Array(npow);
  V1[0] = 1;
  let s0 = 0;
  let s1 = 0;
  let expnt = 0;
  let [j1, j2] = pomeranzSpan(0, n, l, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [s0, s1] = [s1, s0];
    V1.fill(0);
    [j1, j2] = pomeranzSpan(i, n, l, ceilf, roundf);
    const pw = i === 1 || i === 2 * n + 1 ? gp : i % 2 ? twogp : onem2gp;
    const len = j2 - k1 + 1;
    if (len > 0) {
      const from = j1 - k1;
      const count = j2 - j1 + 1;
      let max = 0;
      for (let c = 0; c < count; c++) {
        // Entry (from + c) of the full convolution of V0[k1 - s0 …] with pw[0 … len).
        const idx = from + c;
        let acc = 0;
        for (let a = Math.max(0, idx - len + 1); a <= Math.min(idx, len - 1); a++) acc += V0[k1 - s0 + a]! * pw[idx - a]!;
        V1[c] = acc;
        if (acc > max) max = acc;
      }
      if (max > 0 && max < 1 / SCALE) {
        for (let c = 0; c < count; c++) V1[c] = V1[c]! * SCALE;
        expnt -= SCALE_EXP;
      }
      s1 = s0 + j1 - k1;
    }
  }
  let ans = V1[n - s1]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > SCALE) {
      ans /= SCALE;
      expnt += SCALE_EXP;
    }
    ans *= m;
  }
  return clip(ldexp(ans, expnt));
}

/**
 * P(D_n <= x) by the Pelz–Good (1976) expansion K0 + K1/√n + K2/n + K3/n^1.5 of z = x√n, each
 * term rewritten with Jacobi theta identities so it converges fast for small z.
 */
function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -(Math.PI ** 2) / 8 / z2;
  if (qlog < -708) return 0;
  const q = Math.exp(qlog);
  const pi2 = Math.PI ** 2;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  // Horner over odd m = 2k - 1 of c_m q^(m^2).
  for (let k = maxk; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m2 * m2, k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 * m2 * m2];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qp + c[i]!;
  }
  const root2pi = Math.sqrt(2 * Math.PI);
  const div = [z, 6 * z4, 72 * z4 * z2 * z, 6480 * z4 * z4 * z2];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * root2pi) / div[i]!;
  // The remaining sums over all integers k, of k^2 q'^(k^2) with q' = exp(-π²/(2z²)).
  const q2 = Math.exp(-pi2 / 2 / z2);
  const s3z = Math.sqrt(3) * z;
  let extra2 = 0;
  let extra3 = 0;
  for (let k = maxk; k >= 1; k--) {
    const k2 = k * k;
    const w = q2 ** k2;
    extra2 += k2 * w;
    extra3 += (s3z + Math.PI * k) * (s3z - Math.PI * k) * k2 * w;
  }
  K[2] = K[2]! + (extra2 * pi2 * root2pi) / (-36 * z2 * z);
  K[3] = K[3]! + (extra3 * pi2 * root2pi) / (216 * z6);
  return K[0]! + K[1]! / Math.sqrt(n) + K[2]! / n + K[3]! / (n * Math.sqrt(n));
}
