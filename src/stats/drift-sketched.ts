import { floorZeroes, histogram } from './binning.js';
import type { ColumnStore } from './column-store.js';
import { fisherExactP } from './drift-count-tests.js';
import { DRIFT_TESTS, NUMERIC_TESTS, type TestName } from './drift-registry.js';
import { distance, type FeatureKind, pTest, type TestResult } from './drift-tests.js';
import { kolmogorovSf } from './kolmogorov.js';
import { chi2Sf, normalSf, studentTwoSided } from './special.js';

type Result = TestResult & { feature: string; kind: FeatureKind; errorBound: number };

/** numpy.histogram_bin_edges(bins="sturges") from a range and a count instead of the values. */
function sturgesFrom(lo: number, hi: number, n: number): number[] {
  const ptp = hi - lo;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = ptp / (Math.log2(n) + 1);
  const bins = width ? Math.ceil((hi - lo) / width) : 1;
  const step = (hi - lo) / bins;
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : i * step + lo));
}

function binWeights(points: [number, number][], edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  // One call over a repeated value would allocate per weight: bin each point once, add its weight.
  for (const [v, w] of points) {
    const c = histogram([v], edges);
    const i = c.indexOf(1);
    if (i >= 0) counts[i]! += w;
  }
  return counts;
}

/** Σ p·ln(p/q) over p > 0, with both normalised (scipy.stats.entropy). */
function entropy(p: number[], q: number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) s += (p[i]! / sp) * Math.log(p[i]! / sp / (q[i]! / sq));
  return s;
}

function jensenShannonOf(p: number[], q: number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  const pn = p.map((x) => x / sp);
  const qn = q.map((x) => x / sq);
  const m = pn.map((x, i) => (x + qn[i]!) / 2);
  return Math.sqrt(Math.max(0, (entropy(pn, m) + entropy(qn, m)) / 2));
}

/** Largest gap between the two weighted step CDFs, and the area between them. */
function cdfGaps(a: [number, number][], b: [number, number][]): { d: number; area: number } {
  const ta = a.reduce((s, p) => s + p[1], 0);
  const tb = b.reduce((s, p) => s + p[1], 0);
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let d = 0;
  let area = 0;
  let x = Math.min(a[0]![0], b[0]![0]);
  while (i < a.length || j < b.length) {
    const next = Math.min(i < a.length ? a[i]![0] : Infinity, j < b.length ? b[j]![0] : Infinity);
    area += Math.abs(fa - fb) * (next - x);
    while (i < a.length && a[i]![0] === next) fa += a[i++]![1] / ta;
    while (j < b.length && b[j]![0] === next) fb += b[j++]![1] / tb;
    d = Math.max(d, Math.abs(fa - fb));
    x = next;
  }
  return { d, area };
}

const pyLess = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

/**
 * One feature's test on two columns at least one of which is beyond the row bound: value counts when
 * both have few distinct values (exact), the KLL sketches and moments otherwise.
 */
export function sketchedTest(
  feature: string,
  ref: ColumnStore,
  cur: ColumnStore,
  o: { kind?: FeatureKind; test?: TestName; threshold?: number; rankError: number },
): Result | { feature: string; reason: string } {
  if (ref.present === 0 || cur.present === 0) return { feature, reason: `no values in the ${ref.present === 0 ? 'reference' : 'current'} data (all missing or infinite)` };
  const numeric = ref.numeric && cur.numeric;
  const kind = o.kind ?? (numeric ? 'num' : 'cat');
  const counted = ref.counts !== null && cur.counts !== null;
  const keys = counted ? [...new Set([...ref.counts!.keys(), ...cur.counts!.keys()])] : [];
  const distinct = counted ? keys.length : Infinity;
  const test: TestName = o.test ?? (ref.present <= 1000 ? (kind === 'num' && distinct > 5 ? 'ks' : distinct > 2 ? 'chisquare' : 'z') : kind === 'num' && distinct > 5 ? 'wasserstein' : 'jensenshannon');
  const threshold = o.threshold ?? DRIFT_TESTS[test].threshold;
  if (!numeric && NUMERIC_TESTS.includes(test)) return { feature, reason: `${test} needs numbers, and the column holds other values too` };
  const nR = ref.present;
  const nC = cur.present;
  const rc = keys.map((k) => ref.counts?.get(k) ?? 0);
  const cc = keys.map((k) => cur.counts?.get(k) ?? 0);
  const needCounts = () => (counted ? null : { feature, reason: `${test} on more than the row bound needs value counts, and the column has too many distinct values` });
  const done = (r: TestResult, errorBound = 0): Result => ({ feature, kind, ...r, errorBound });
  const sketchedSides = (ref.counts && ref.numeric ? 0 : ref.exact ? 0 : 1) + (cur.counts && cur.numeric ? 0 : cur.exact ? 0 : 1);
  // Evidently bins numbers with more than 20 distinct reference values; anything else as categories.
  const binnedNumbers = kind === 'num' && (ref.counts === null || ref.counts.size > 20);
  switch (test) {
    case 'chisquare': {
      const miss = needCounts();
      if (miss) return miss;
      let stat = 0;
      for (let i = 0; i < keys.length; i++) {
        const e = (rc[i]! * nC) / nR;
        stat += e === 0 ? Infinity : (cc[i]! - e) ** 2 / e;
      }
      return done(pTest('chisquare', stat, Number.isFinite(stat) ? chi2Sf(stat, keys.length - 1) : 0, threshold));
    }
    case 'g_test': {
      const miss = needCounts();
      if (miss) return miss;
      let g = 0;
      for (let i = 0; i < keys.length; i++) {
        const e = (rc[i]! * nC) / nR;
        if (cc[i]! > 0) g += e === 0 ? Infinity : 2 * cc[i]! * Math.log(cc[i]! / e);
      }
      return done(pTest('g_test', g, Number.isFinite(g) ? chi2Sf(g, keys.length - 1) : 0, threshold));
    }
    case 'z': {
      const miss = needCounts();
      if (miss) return miss;
      if (ref.counts!.size === 1 && cur.counts!.size === 1 && rc.every((x, i) => (x > 0) === (cc[i]! > 0))) return done(pTest('z', 0, 1, threshold));
      const values = keys;
      const first = values.map((_, i) => i).sort((a, b) => pyLess(values[a], values[b]))[0]!;
      const p1 = 1 - rc[first]! / nR;
      const p2 = 1 - cc[first]! / nC;
      const P = (p1 * nR + p2 * nC) / (nR + nC);
      const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / nR + 1 / nC));
      return done(pTest('z', z, 2 * normalSf(Math.abs(z)), threshold));
    }
    case 'l_infinity': {
      const miss = needCounts();
      if (miss) return miss;
      return done(distance('l_infinity', Math.max(...keys.map((_, i) => Math.abs(rc[i]! / nR - cc[i]! / nC))), threshold));
    }
    case 'fisher_exact': {
      const miss = needCounts();
      if (miss) return miss;
      if (nR !== nC) return { feature, reason: 'fisher_exact needs reference and current samples of equal length' };
      if (keys.length > 2) return { feature, reason: 'fisher_exact needs binary data: at most two categories across reference and current' };
      return done(pTest('fisher_exact', NaN, fisherExactP(cc[0] ?? 0, cc[1] ?? 0, rc[0] ?? 0, rc[1] ?? 0), threshold));
    }
    case 'psi':
    case 'kl_div':
    case 'jensenshannon': {
      let rs: number[];
      let cs: number[];
      let bound = 0;
      if (binnedNumbers) {
        const a = ref.weighted();
        const b = cur.weighted();
        const edges = sturgesFrom(Math.min(ref.min, cur.min), Math.max(ref.max, cur.max), nR + nC);
        rs = binWeights(a.points, edges).map((w) => w / a.points.reduce((s, p) => s + p[1], 0));
        cs = binWeights(b.points, edges).map((w) => w / b.points.reduce((s, p) => s + p[1], 0));
        bound = 2 * o.rankError * sketchedSides;
      } else {
        const miss = needCounts();
        if (miss) return miss;
        rs = rc.map((x) => x / nR);
        cs = cc.map((x) => x / nC);
      }
      if (test === 'jensenshannon') return done(distance(test, jensenShannonOf(rs, cs), threshold), bound);
      const [p, q] = [floorZeroes(rs), floorZeroes(cs)];
      const value = test === 'psi' ? p.reduce((s, x, i) => s + (x - q[i]!) * Math.log(x / q[i]!), 0) : entropy(p, q);
      return done(distance(test, value, threshold), bound);
    }
    case 'hellinger': {
      const miss = needCounts();
      if (miss) return miss;
      let bc = 0;
      if (kind === 'cat') for (let i = 0; i < keys.length; i++) bc += Math.sqrt((rc[i]! / nR) * (cc[i]! / nC));
      else {
        const values = keys as number[];
        const lo = Math.min(...values);
        const hi = Math.max(...values);
        const edges = sturgesFrom(lo, hi, values.length);
        const dens = (w: number[], n: number) => w.map((x, i) => x / n / (edges[i + 1]! - edges[i]!));
        const h1 = dens(binWeights(values.map((v, i) => [v, rc[i]!]), edges), nR);
        const h2 = dens(binWeights(values.map((v, i) => [v, cc[i]!]), edges), nC);
        const width = (edges[edges.length - 1]! - edges[0]!) / h1.length;
        for (let i = 0; i < h1.length; i++) bc += Math.sqrt(h1[i]! * h2[i]!) * width;
      }
      return done(distance('hellinger', Math.sqrt(1 - Math.min(1, Math.max(0, bc))), threshold));
    }
    case 'ks': {
      const { d } = cdfGaps(ref.weighted().points, cur.weighted().points);
      // scipy's asymptotic p-value, which it uses beyond 10,000 values per side.
      const p = kolmogorovSf(Math.round((nR * nC) / (nR + nC)), d);
      return done(pTest('ks', d, Math.min(1, Math.max(0, p)), threshold, true), o.rankError * sketchedSides);
    }
    case 'wasserstein': {
      const { area } = cdfGaps(ref.weighted().points, cur.weighted().points);
      const norm = Math.max(Math.sqrt(ref.variance), 0.001);
      const span = Math.max(ref.max, cur.max) - Math.min(ref.min, cur.min);
      return done(distance('wasserstein', area / norm, threshold), (o.rankError * sketchedSides * span) / norm);
    }
    case 't_test': {
      const df = nR + nC - 2;
      const sp = (ref.m2 + cur.m2) / df;
      const t = (ref.mean - cur.mean) / Math.sqrt(sp * (1 / nR + 1 / nC));
      return done(Number.isNaN(t) ? pTest('t_test', 0, 1, threshold) : pTest('t_test', t, studentTwoSided(t, df), threshold));
    }
    default:
      return { feature, reason: `${test} needs every value in order: raise --row-bound above ${Math.max(ref.rows, cur.rows)} rows to run it exactly` };
  }
}
