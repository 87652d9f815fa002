import { describe, expect, it } from 'vitest';
import type { Column } from '../runtime/index.js';
import type { PredictionRecord } from './prediction-log.js';
import { inputsJson } from './prediction-rows.js';

function record(columns: Column[], rows: number, redact: string[] = []): PredictionRecord {
  return { requestId: 'r', role: 'primary', deployment: 'd', model: 'm', version: 1, time: 0, features: columns.map((_, i) => `f${i}`), batch: { rows, columns }, outputs: null, latencyMs: 0, error: null, redact };
}

/** What the log stored before the hand-built serialiser, and what readers parse. */
function reference(r: PredictionRecord): string {
  const rows = Array.from({ length: r.batch!.rows }, (_, i) => r.batch!.columns.map((c, f) => (r.redact.includes(r.features[f]!) ? '[redacted]' : c[i])));
  return JSON.stringify({ features: r.features, rows });
}

describe('inputsJson', () => {
  it('writes what JSON.stringify writes: NaN and infinities as null, strings escaped, many rows', () => {
    const r = record([Float64Array.of(1.5, NaN, -0, 1e-300), Float64Array.of(Infinity, -Infinity, 123456789.123, 0.1 + 0.2), ['a "quoted" \\ value', 'ü\n', '', '\u2028']], 4);
    expect(inputsJson(r)).toBe(reference(r));
    expect(JSON.parse(inputsJson(r)!).rows[0]).toEqual([1.5, null, 'a "quoted" \\ value']);
  });

  it('redacts the named features in every row', () => {
    const r = record([Float64Array.of(1, 2), ['secret', 'other'], Float64Array.of(3, 4)], 2, ['f1']);
    expect(inputsJson(r)).toBe(reference(r));
    expect(JSON.parse(inputsJson(r)!).rows).toEqual([[1, '[redacted]', 3], [2, '[redacted]', 4]]);
  });

  it('writes an empty rows list for a zero-row batch', () => {
    const r = record([Float64Array.of()], 0);
    expect(inputsJson(r)).toBe(reference(r));
  });
});
