import type { PredictionsTable } from '../storage/schema.js';
import type { PredictionRecord } from './prediction-log.js';

// The `{"features":[…],"rows":` head is the same for every record of a version: built once per
// feature list (the hot path hands over the predictor's own cached array).
const heads = new WeakMap<readonly string[], string>();

function head(features: readonly string[]): string {
  let h = heads.get(features);
  if (h === undefined) heads.set(features, (h = `{"features":${JSON.stringify(features)},"rows":`));
  return h;
}

/**
 * The `inputs` column. A batch of numbers only (the usual case) is stored as
 * `{"features": [...], "rows": n, "f64": "<base64>"}`: the n × features values as float64,
 * little-endian, one feature's column after another, NaN for missing. Writing numbers as text was
 * most of the log's cost (about 3 µs for 20 numbers, 200 µs for a 64-row request); copying them
 * is not. A batch with strings or redacted features is stored as JSON rows,
 * `{"features": [...], "rows": [[...], ...]}` (NaN written as null). `decodeInputs` reads both.
 */
export function inputsJson(r: PredictionRecord): string | null {
  if (!r.batch) return null;
  const cols = r.batch.columns;
  const n = r.batch.rows;
  if (r.redact.length === 0 && cols.every((c) => c instanceof Float64Array)) {
    const all = new Float64Array(n * cols.length);
    // Element by element: a subarray per column costs more than the copy for the usual single row.
    for (let f = 0, k = 0; f < cols.length; f++) {
      const c = cols[f] as Float64Array;
      for (let i = 0; i < n; i++) all[k++] = c[i]!;
    }
    return `${head(r.features)}${n},"f64":"${Buffer.from(all.buffer).toString('base64')}"}`;
  }
  const redacted = r.redact.length > 0 ? r.features.map((f) => r.redact.includes(f)) : null;
  const rows = new Array<unknown[]>(n);
  for (let i = 0; i < n; i++) {
    const row = new Array<unknown>(cols.length);
    for (let f = 0; f < cols.length; f++) row[f] = redacted?.[f] ? '[redacted]' : cols[f]![i];
    rows[i] = row;
  }
  return head(r.features) + JSON.stringify(rows) + '}';
}

/** Logged inputs as readers see them: feature names and rows, null for a missing value. */
export interface LoggedInputs {
  features: string[];
  rows: (number | string | null)[][];
}

/** Reads the `inputs` column in either form `inputsJson` writes. */
export function decodeInputs(text: string): LoggedInputs {
  const j = JSON.parse(text) as { features: string[]; rows: LoggedInputs['rows'] | number; f64?: string };
  if (typeof j.rows !== 'number' || typeof j.f64 !== 'string') return j as LoggedInputs;
  const n = j.rows;
  const bytes = Buffer.from(j.f64, 'base64');
  // Copied into a fresh buffer: a base64-decoded Buffer need not sit on an 8-byte boundary.
  const values = new Float64Array(bytes.length >> 3);
  new Uint8Array(values.buffer).set(bytes.subarray(0, values.length << 3));
  const rows = Array.from({ length: n }, (_, i) =>
    j.features.map((_, f) => {
      const v = values[f * n + i];
      return v === undefined || !Number.isFinite(v) ? null : v;
    }),
  );
  return { features: j.features, rows };
}

/** Serialises a queued record into its table row (done by the writer, off the request path). */
export function toPredictionRow(r: PredictionRecord): PredictionsTable {
  return {
    request_id: r.requestId,
    role: r.role,
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    time: new Date(r.time).toISOString(),
    rows: r.batch?.rows ?? 0,
    inputs: inputsJson(r),
    outputs: r.outputs ? JSON.stringify(r.outputs) : null,
    latency_ms: r.latencyMs,
    error: r.error,
  };
}
