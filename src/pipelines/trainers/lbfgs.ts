/** Objective: writes the gradient into `grad` and returns the value. */
export type Objective = (w: Float64Array, grad: Float64Array) => number;

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Limited-memory BFGS with a backtracking (Armijo) line search; deterministic, so a seed-free
 * trainer gives the same model every time. Stops when the gradient's max-norm falls below `tol`.
 */
export function lbfgs(f: Objective, w0: Float64Array, o: { maxIter?: number; tol?: number; memory?: number } = {}): { w: Float64Array; value: number; iterations: number } {
  const maxIter = o.maxIter ?? 500;
  const tol = o.tol ?? 1e-6;
  const m = o.memory ?? 10;
  const n = w0.length;
  let w = Float64Array.from(w0);
  let g = new Float64Array(n);
  let fx = f(w, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const dir = new Float64Array(n);
  let it = 0;
  for (; it < maxIter; it++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(g[i]!));
    if (gmax < tol) break;
    // Two-loop recursion: dir = -H g.
    dir.set(g);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dot(S[k]!, dir) / dot(Y[k]!, S[k]!);
      alpha[k] = a;
      for (let i = 0; i < n; i++) dir[i] = dir[i]! - a * Y[k]![i]!;
    }
    const gamma = S.length ? dot(S[S.length - 1]!, Y[Y.length - 1]!) / dot(Y[Y.length - 1]!, Y[Y.length - 1]!) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < n; i++) dir[i] = dir[i]! * gamma;
    for (let k = 0; k < S.length; k++) {
      const b = dot(Y[k]!, dir) / dot(Y[k]!, S[k]!);
      for (let i = 0; i < n; i++) dir[i] = dir[i]! + S[k]![i]! * (alpha[k]! - b);
    }
    for (let i = 0; i < n; i++) dir[i] = -dir[i]!;
    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      slope = dot(g, dir);
    }
    let step = 1;
    const next = new Float64Array(n);
    const gNext = new Float64Array(n);
    let fNext = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) next[i] = w[i]! + step * dir[i]!;
      fNext = f(next, gNext);
      if (fNext <= fx + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNext < fx) && Math.abs(fNext - fx) < 1e-15) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = next[i]! - w[i]!;
      y[i] = gNext[i]! - g[i]!;
    }
    if (dot(s, y) > 1e-12) {
      S.push(s);
      Y.push(y);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    const relChange = Math.abs(fx - fNext) / Math.max(Math.abs(fx), Math.abs(fNext), 1);
    w = next;
    g = gNext;
    fx = fNext;
    if (relChange < 1e-12) break;
  }
  return { w, value: fx, iterations: it };
}
