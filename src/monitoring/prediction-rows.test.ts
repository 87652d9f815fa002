import { describe, expect, it } from 'vitest';
import type { Column } from '../runtime/index.js';
import type { PredictionRecord } from './prediction-log.js';
import { decodeInputs, inputsJson } from './prediction-rows.js';

function record(columns: Column[], rows: number, redact: string[] = []): PredictionRecord {
  return { requestId: 'r', role: 'primary', deployment: 'd', model: 'm', version: 1, time: 0, features: columns.map((_, i) => `f${i}`), batch: { rows, columns }, outputs: null, latencyMs: 0, error: null, redact };
}

/** The rows as readers expect them: redacted features as "[redacted]", missing values (NaN, ±Infinity) as null. */
function reference(r: PredictionRecord) {
  return Array.from({ length: r.batch!.rows }, (_, i) =>
    r.batch!.columns.map((c, f) => {
      if (r.redact.includes(r.features[f]!)) return '[redacted]';
      const v = c[i]!;
      return typeof v === 'number' && !Number.isFinite(v) ? null : v;
    }),
  );
}

describe('inputsJson and decodeInputs', () => {
  it('stores a numbers-only batch as float64 in base64, losslessly, and reads it back as rows', () => {
    const r = record([Float64Array.of(1.5, NaN, -0, 1e-300, 0.1 + 0.2), Float64Array.of(Infinity, -Infinity, 123456789.123, Number.MAX_VALUE, -2.5)], 5);
    const text = inputsJson(r)!;
    expect(JSON.parse(text)).toMatchObject({ features: ['f0', 'f1'], rows: 5, f64: expect.any(String) });
    expect(decodeInputs(text)).toEqual({ features: ['f0', 'f1'], rows: reference(r) });
    expect(decodeInputs(text).rows[4]).toEqual([0.1 + 0.2, -2.5]);
  });

  it('writes JSON rows when a batch has strings, with the escapes JSON.stringify writes', () => {
    const r = record([Float64Array.of(1.5, NaN, -0, 1e-300), Float64Array.of(Infinity, -Infinity, 123456789.123, 0.1 + 0.2), ['a "quoted" \\ value', 'ü\n', '', '\u2028']], 4);
    const text = inputsJson(r)!;
    expect(text).toBe(JSON.stringify({ features: r.features, rows: reference(r) }));
    // JSON has no -0: the text round trip is the reference here.
    expect(decodeInputs(text)).toEqual(JSON.parse(JSON.stringify({ features: r.features, rows: reference(r) })));
  });

  it('redacts the named features in every row (JSON rows)', () => {
    const r = record([Float64Array.of(1, 2), Float64Array.of(5, 6), Float64Array.of(3, 4)], 2, ['f1']);
    expect(decodeInputs(inputsJson(r)!).rows).toEqual([[1, '[redacted]', 3], [2, '[redacted]', 4]]);
  });

  it('handles a zero-row batch in both forms', () => {
    expect(decodeInputs(inputsJson(record([Float64Array.of()], 0))!)).toEqual({ features: ['f0'], rows: [] });
    expect(decodeInputs(inputsJson(record([[] as string[]], 0))!)).toEqual({ features: ['f0'], rows: [] });
  });
});
