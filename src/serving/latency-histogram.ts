/**
 * A mergeable latency histogram with log-spaced buckets (5 % apart from 10 µs to about 100 s), so
 * quantiles combined from several workers are within 5 % of the exact value.
 */
const GROWTH = 1.05;
const MIN_MS = 0.01;
const LOG_GROWTH = Math.log(GROWTH);

export type Histogram = Map<number, number>;

export function bucketOf(ms: number): number {
  return ms <= MIN_MS ? 0 : Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH);
}

/** Upper bound of a bucket, in milliseconds. */
export function bucketUpper(bucket: number): number {
  return MIN_MS * GROWTH ** bucket;
}

export function addTo(h: Histogram, ms: number): void {
  const b = bucketOf(ms);
  h.set(b, (h.get(b) ?? 0) + 1);
}

export function mergeInto(into: Histogram, from: Record<string, number>): void {
  for (const [b, n] of Object.entries(from)) into.set(Number(b), (into.get(Number(b)) ?? 0) + n);
}

/** The q-quantile (0..1) as the upper bound of the bucket that holds it. */
export function quantile(h: Histogram, q: number): number {
  const total = [...h.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const b of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(b)!;
    if (seen >= rank) return bucketUpper(b);
  }
  return bucketUpper(Math.max(...h.keys()));
}
