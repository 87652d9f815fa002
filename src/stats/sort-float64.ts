/** Little-endian platforms keep a double's sign, exponent and top mantissa bits in its second 32-bit word. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const BITS = 11;
const BUCKETS = 1 << BITS;
const counts = new Int32Array(3 * BUCKETS);
let scratch = new Float64Array(0);

/** The high word of a double as an unsigned key that orders as the doubles do (negatives flipped). */
const keyOf = (high: number): number => (high ^ ((high >> 31) | 0x80000000)) >>> 0;

/**
 * Sorts the first `n` values of `a` (no NaN) in ascending order, as `a.subarray(0, n).sort()` does,
 * about four times faster from a few thousand values on: a radix sort on the high 32 bits of each
 * double (three passes of 11 bits), then one insertion pass that orders the values whose high words
 * tie. Should that pass find many ties (values that agree in their first 20 mantissa bits), it
 * hands the nearly sorted values to the built-in sort instead, so no input costs more than both.
 * Returns which sort finished the job.
 */
export function sortFloat64(a: Float64Array, n: number): 'radix' | 'builtin' {
  if (n < 512 || !LITTLE_ENDIAN) {
    a.subarray(0, n).sort();
    return 'builtin';
  }
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  counts.fill(0);
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const k = keyOf(words[2 * i + 1]!);
    counts[k & (BUCKETS - 1)]!++;
    counts[BUCKETS + ((k >>> BITS) & (BUCKETS - 1))]!++;
    counts[2 * BUCKETS + (k >>> (2 * BITS))]!++;
  }
  let from: Float64Array = a;
  let to: Float64Array = scratch;
  for (let pass = 0; pass < 3; pass++) {
    const base = pass * BUCKETS;
    // A pass whose digit is the same for every value (a narrow range shares its top bits) is skipped.
    let sum = 0;
    let single = false;
    for (let d = 0; d < BUCKETS; d++) {
      const c = counts[base + d]!;
      if (c === n) single = true;
      counts[base + d] = sum;
      sum += c;
    }
    if (single) continue;
    const fromWords = new Uint32Array(from.buffer, from.byteOffset, 2 * n);
    const shift = pass * BITS;
    for (let i = 0; i < n; i++) {
      const digit = (keyOf(fromWords[2 * i + 1]!) >>> shift) & (BUCKETS - 1);
      to[counts[base + digit]!++] = from[i]!;
    }
    [from, to] = [to, from];
  }
  if (from !== a) a.set(from.subarray(0, n));
  let moves = 0;
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    if (a[i - 1]! <= v) continue;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
    moves += i - j;
    if (moves > 4 * n) {
      a.subarray(0, n).sort();
      return 'builtin';
    }
  }
  return 'radix';
}
