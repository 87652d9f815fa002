/**
 * Isotonic regression of y on x (non-decreasing), as scikit-learn's `IsotonicRegression` with
 * `out_of_bounds="clip"`: ties in x are averaged, the pool-adjacent-violators algorithm fits the
 * block means, and predictions interpolate linearly between the fitted points, clipped at the ends.
 * Used to calibrate a classifier's scores on reference data.
 */
export function isotonicFit(x: readonly number[], y: readonly number[]): (v: number) => number {
  const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  // Unique x with the mean y and the count of each.
  const xs: number[] = [];
  const means: number[] = [];
  const weights: number[] = [];
  for (const i of order) {
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === x[i]) {
      means[last] = (means[last]! * weights[last]! + y[i]!) / (weights[last]! + 1);
      weights[last]! += 1;
    } else {
      xs.push(x[i]!);
      means.push(y[i]!);
      weights.push(1);
    }
  }
  // Pool adjacent violators over blocks of (mean, weight, length).
  const bm: number[] = [];
  const bw: number[] = [];
  const bl: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    bm.push(means[i]!);
    bw.push(weights[i]!);
    bl.push(1);
    while (bm.length > 1 && bm[bm.length - 2]! > bm[bm.length - 1]!) {
      const w = bw[bw.length - 2]! + bw[bw.length - 1]!;
      const m = (bm[bm.length - 2]! * bw[bw.length - 2]! + bm[bm.length - 1]! * bw[bw.length - 1]!) / w;
      const l = bl[bl.length - 2]! + bl[bl.length - 1]!;
      bm.length -= 1;
      bw.length -= 1;
      bl.length -= 1;
      bm[bm.length - 1] = m;
      bw[bw.length - 1] = w;
      bl[bl.length - 1] = l;
    }
  }
  const fitted: number[] = [];
  bm.forEach((m, b) => {
    for (let k = 0; k < bl[b]!; k++) fitted.push(m);
  });
  return (v: number) => {
    if (xs.length === 0) return v;
    if (v <= xs[0]!) return fitted[0]!;
    if (v >= xs[xs.length - 1]!) return fitted[fitted.length - 1]!;
    let lo = 0;
    let hi = xs.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! <= v) lo = mid;
      else hi = mid;
    }
    const t = (v - xs[lo]!) / (xs[hi]! - xs[lo]!);
    return fitted[lo]! + t * (fitted[hi]! - fitted[lo]!);
  };
}
