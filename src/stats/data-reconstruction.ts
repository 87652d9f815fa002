import { isDropped, type Values } from './binning.js';
import { symmetricEigen } from './symmetric-eigen.js';

export interface ReconstructionOptions {
  /** Columns to use (default: every column of the reference). */
  features?: string[];
  /** Rows per chunk (default: a tenth of the reference, NannyML's ten reference chunks). */
  chunkSize?: number;
  /** Share of variance the principal components keep (PCA n_components, default 0.65). */
  varianceShare?: number;
  /** Width of the band around the reference chunks' mean error, in standard deviations (default 3). */
  sigmas?: number;
}

export interface ReconstructionChunk {
  /** First row (0-based) and one past the last row of the chunk. */
  start: number;
  end: number;
  error: number;
}

/** A data-reconstruction model fitted on the reference: impute, encode, scale, project. */
export interface ReconstructionModel {
  features: string[];
  categorical: string[];
  components: number;
  explainedVarianceRatio: number[];
  /** Euclidean reconstruction error of every row of `data`, in the scaled space. */
  rowErrors(data: Record<string, Values>): Float64Array;
}

export interface ReconstructionDrift {
  method: 'data_reconstruction';
  features: string[];
  categorical: string[];
  components: number;
  explainedVarianceRatio: number[];
  chunkSize: number;
  reference: { chunks: ReconstructionChunk[]; mean: number; std: number; lower: number; upper: number };
  current: { chunks: (ReconstructionChunk & { alert: boolean })[]; error: number };
  /** Some current chunk's error is outside the reference band. */
  drifted: boolean;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && !isDropped(v);
const keyOf = (v: unknown) => `${typeof v}:${String(v)}`;

/** Python's ordering for sklearn's most-frequent tie break: numbers by value, strings by code point. */
const pyLess = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? a < b : String(a) < String(b));

/** Consecutive chunks of `size` rows; a last part shorter than a chunk joins the chunk before it. */
export function chunkBounds(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  if (out.length > 1 && out[out.length - 1]![1] - out[out.length - 1]![0] < size) out[out.length - 2]![1] = out.pop()![1];
  return out;
}

/**
 * Fits NannyML's data-reconstruction model on the reference as scikit-learn would: SimpleImputer
 * (mean for numbers, the most frequent value for categories), categories encoded by their share
 * in the reference (CountEncoder normalize=True; unseen categories get 0), StandardScaler, then PCA
 * keeping the fewest components whose explained variance exceeds `varianceShare`.
 */
export function fitReconstruction(reference: Record<string, Values>, options: ReconstructionOptions = {}): ReconstructionModel {
  const features = options.features ?? Object.keys(reference);
  const share = options.varianceShare ?? 0.65;
  if (features.length === 0) throw new RangeError('data reconstruction needs at least one feature');
  const n = Math.max(...features.map((f) => reference[f]?.length ?? 0));
  if (n < 2) throw new RangeError('data reconstruction needs at least two reference rows');
  const categorical = features.filter((f) => (reference[f] ?? []).some((v) => !isDropped(v) && typeof v !== 'number'));
  // Per feature: how a raw value becomes a number before scaling.
  const encoders = features.map((f) => {
    const col = reference[f] ?? [];
    if (!categorical.includes(f)) {
      let s = 0;
      let k = 0;
      for (const v of col) {
        if (!isNumber(v)) continue;
        s += v;
        k++;
      }
      if (k === 0) throw new RangeError(`data reconstruction: ${f} has no values in the reference`);
      const mean = s / k;
      return (v: unknown) => (isNumber(v) ? v : mean);
    }
    const counts = new Map<string, { value: unknown; n: number }>();
    for (const v of col) {
      if (isDropped(v)) continue;
      const e = counts.get(keyOf(v)) ?? { value: v, n: 0 };
      e.n++;
      counts.set(keyOf(v), e);
    }
    let mode: { value: unknown; n: number } | undefined;
    for (const e of counts.values()) if (!mode || e.n > mode.n || (e.n === mode.n && pyLess(e.value, mode.value))) mode = e;
    // Imputed rows count for the mode in the shares, as the encoder is fitted after imputing.
    const missing = n - [...counts.values()].reduce((a, e) => a + e.n, 0);
    mode!.n += missing;
    const shares = new Map([...counts].map(([k, e]) => [k, e.n / n]));
    const modeKey = keyOf(mode!.value);
    return (v: unknown) => shares.get(isDropped(v) ? modeKey : keyOf(v)) ?? 0;
  });
  const d = features.length;
  const encode = (data: Record<string, Values>, rows: number) => {
    const X = new Float64Array(rows * d);
    for (let j = 0; j < d; j++) {
      const col = data[features[j]!] ?? [];
      for (let i = 0; i < rows; i++) X[i * d + j] = encoders[j]!(col[i] ?? null);
    }
    return X;
  };
  const X = encode(reference, n);
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[i * d + j]!;
    mean[j] = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (X[i * d + j]! - mean[j]!) ** 2;
    const sd = Math.sqrt(v / n);
    scale[j] = sd === 0 ? 1 : sd;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X[i * d + j] = (X[i * d + j]! - mean[j]!) / scale[j]!;
  // PCA on the scaled reference: its mean (zero up to rounding) and covariance's eigenvectors.
  const center = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) center[j]! += X[i * d + j]! / n;
  const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const xa = X[i * d + a]! - center[a]!;
      for (let b = a; b < d; b++) cov[a]![b]! += xa * (X[i * d + b]! - center[b]!);
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b]![a] = cov[a]![b] = cov[a]![b]! / (n - 1);
  const { values, vectors } = symmetricEigen(cov);
  const order = values.map((_, k) => k).sort((p, q) => values[q]! - values[p]!);
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  const ratios = order.map((k) => Math.max(0, values[k]!) / total);
  // sklearn: searchsorted(cumsum, share, side="right") + 1.
  let components = 0;
  for (let cum = 0; components < d && cum <= share; components++) cum += ratios[components]!;
  components = Math.max(1, components);
  const V = order.slice(0, components).map((k) => Float64Array.from({ length: d }, (_, j) => vectors[j]![k]!));
  return {
    features,
    categorical,
    components,
    explainedVarianceRatio: ratios.slice(0, components),
    rowErrors(data) {
      const rows = Math.max(0, ...features.map((f) => data[f]?.length ?? 0));
      const Y = encode(data, rows);
      const out = new Float64Array(rows);
      const r = new Float64Array(d);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < d; j++) r[j] = (Y[i * d + j]! - mean[j]!) / scale[j]! - center[j]!;
        // The residual after projecting onto the kept components.
        const res = Float64Array.from(r);
        for (const v of V) {
          let p = 0;
          for (let j = 0; j < d; j++) p += v[j]! * r[j]!;
          for (let j = 0; j < d; j++) res[j]! -= p * v[j]!;
        }
        let s = 0;
        for (let j = 0; j < d; j++) s += res[j]! ** 2;
        out[i] = Math.sqrt(s);
      }
      return out;
    },
  };
}

const chunkErrors = (errors: Float64Array, size: number): ReconstructionChunk[] =>
  chunkBounds(errors.length, size).map(([start, end]) => {
    let s = 0;
    for (let i = start; i < end; i++) s += errors[i]!;
    return { start, end, error: s / (end - start) };
  });

/**
 * Multivariate drift by NannyML's data reconstruction: the mean reconstruction error of each chunk
 * of the current data against the band mean ± 3σ of the reference chunks' errors. It sees changes
 * in how features move together that no per-feature test sees.
 */
export function reconstructionDrift(reference: Record<string, Values>, current: Record<string, Values>, options: ReconstructionOptions = {}): ReconstructionDrift {
  const model = fitReconstruction(reference, options);
  const refRows = Math.max(...model.features.map((f) => reference[f]?.length ?? 0));
  const chunkSize = options.chunkSize ?? Math.max(1, Math.floor(refRows / 10));
  const sigmas = options.sigmas ?? 3;
  const refChunks = chunkErrors(model.rowErrors(reference), chunkSize);
  const m = refChunks.reduce((a, c) => a + c.error, 0) / refChunks.length;
  const std = Math.sqrt(refChunks.reduce((a, c) => a + (c.error - m) ** 2, 0) / refChunks.length);
  const lower = m - sigmas * std;
  const upper = m + sigmas * std;
  const curErrors = model.rowErrors(current);
  const curChunks = chunkErrors(curErrors, chunkSize).map((c) => ({ ...c, alert: c.error > upper || c.error < lower }));
  return {
    method: 'data_reconstruction',
    features: model.features,
    categorical: model.categorical,
    components: model.components,
    explainedVarianceRatio: model.explainedVarianceRatio,
    chunkSize,
    reference: { chunks: refChunks, mean: m, std, lower, upper },
    current: { chunks: curChunks, error: curErrors.reduce((a, b) => a + b, 0) / Math.max(1, curErrors.length) },
    drifted: curChunks.some((c) => c.alert),
  };
}
