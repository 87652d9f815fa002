/** Values of one column: numbers (NaN = missing) or categories. */
export type Values = readonly (number | string | boolean | null)[];

export const isMissing = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** Missing or ±infinite: what Evidently's column step drops before it chooses and runs a test. */
export const isDropped = (v: unknown): boolean => isMissing(v) || v === Infinity || v === -Infinity;

/** The values a drift test sees: the column without missing and infinite values, order kept. */
export const present = (values: Values): Values => (values.some(isDropped) ? values.filter((v) => !isDropped(v)) : values);

export function numbers(values: Values): number[] {
  return values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
}

/** numpy.histogram_bin_edges(values, bins="sturges"), edge for edge. */
export function sturgesEdges(values: readonly number[]): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const dataPtp = hi - lo;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = dataPtp / (Math.log2(values.length) + 1);
  const bins = width ? Math.ceil((hi - lo) / width) : 1;
  const step = (hi - lo) / bins;
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : i * step + lo));
}

/** numpy.histogram counts for sorted-equal-width edges (last bin closed on the right). */
export function histogram(values: readonly number[], edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const lo = edges[0]!;
  const hi = edges[bins]!;
  const counts = new Array<number>(bins).fill(0);
  const norm = bins / (hi - lo);
  for (const v of values) {
    if (v < lo || v > hi) continue;
    let i = Math.floor((v - lo) * norm);
    if (i >= bins) i = bins - 1;
    // The same corrections numpy makes for floating-point edge cases.
    if (v < edges[i]!) i--;
    else if (i !== bins - 1 && v >= edges[i + 1]!) i++;
    counts[i]!++;
  }
  return counts;
}

/** Frequencies of each category (missing excluded), over the union of keys of both samples. */
export function categoryShares(reference: Values, current: Values): { keys: (string | number | boolean)[]; ref: number[]; cur: number[] } {
  const key = (v: string | number | boolean) => `${typeof v}:${String(v)}`;
  const keys = new Map<string, string | number | boolean>();
  const count = (vals: Values) => {
    const m = new Map<string, number>();
    for (const v of vals) {
      if (isMissing(v)) continue;
      const k = key(v as string | number | boolean);
      keys.set(k, v as string | number | boolean);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const r = count(reference);
  const c = count(current);
  const ks = [...keys.keys()];
  return { keys: ks.map((k) => keys.get(k)!), ref: ks.map((k) => (r.get(k) ?? 0) / reference.length), cur: ks.map((k) => (c.get(k) ?? 0) / current.length) };
}

/** Replaces zero shares as Evidently does: min non-zero / 1e6 when that is ≤ 1e-4, else 1e-4. */
export function floorZeroes(p: number[]): number[] {
  const nonZero = p.filter((x) => x !== 0);
  if (nonZero.length === 0) return p;
  const min = Math.min(...nonZero);
  const fill = min <= 0.0001 ? min / 1e6 : 0.0001;
  return p.map((x) => (x === 0 ? fill : x));
}

/**
 * Evidently's get_binned_data: numeric columns with more than 20 distinct reference values are cut
 * into Sturges bins over both samples; anything else is treated as categories. Shares divide by
 * the full sample length (missing included), then empty bins are floored unless `fillZeroes` is
 * false (Jensen–Shannon calls it with feel_zeroes=False).
 */
export function binnedShares(reference: Values, current: Values, kind: 'num' | 'cat', fillZeroes = true): { ref: number[]; cur: number[] } {
  const distinct = new Set(reference.filter((v) => !isMissing(v))).size;
  let ref: number[];
  let cur: number[];
  if (kind === 'num' && distinct > 20) {
    const r = numbers(reference);
    const c = numbers(current);
    const edges = sturgesEdges([...r, ...c]);
    ref = histogram(r, edges).map((n) => n / reference.length);
    cur = histogram(c, edges).map((n) => n / current.length);
  } else {
    ({ ref, cur } = categoryShares(reference, current));
  }
  return fillZeroes ? { ref: floorZeroes(ref), cur: floorZeroes(cur) } : { ref, cur };
}
