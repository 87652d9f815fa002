import type { PredictionsTable } from '../storage/schema.js';
import type { PredictionRecord } from './prediction-log.js';

function inputsJson(r: PredictionRecord): string | null {
  if (!r.batch) return null;
  const redact = new Set(r.redact);
  const cols = r.batch.columns;
  const rows: unknown[][] = [];
  for (let i = 0; i < r.batch.rows; i++) {
    rows.push(
      cols.map((c, f) => {
        if (redact.has(r.features[f]!)) return '[redacted]';
        const v = c[i];
        return typeof v === 'number' && Number.isNaN(v) ? null : v;
      }),
    );
  }
  return JSON.stringify({ features: r.features, rows });
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
