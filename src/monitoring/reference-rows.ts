import { parse } from 'csv-parse/sync';
import type { ReferenceInfo } from '../contracts/monitoring.js';
import { AppError } from '../shared/app-error.js';
import { CategoryProfile, NumericProfile } from '../stats/index.js';

export type Columns = Record<string, (number | string | boolean | null)[]>;

/** Rows turned into columns: an empty string or a missing key is null. */
export function columnsOf(rows: Record<string, unknown>[]): Columns {
  const cols: Columns = {};
  rows.forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) {
      (cols[k] ??= new Array(rows.length).fill(null))[i] = v === '' || v === undefined ? null : (v as number | string | boolean | null);
    }
  });
  return cols;
}

/** Rows of a CSV (header row; numbers cast) or JSON-lines text. */
export function parseRows(text: string, format: 'csv' | 'jsonl'): Record<string, unknown>[] {
  if (format === 'csv') {
    try {
      return parse(text, { columns: true, cast: true, skip_empty_lines: true, trim: true }) as Record<string, unknown>[];
    } catch (err) {
      throw new AppError('invalid_argument', `reference CSV: ${(err as Error).message}`);
    }
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new AppError('invalid_argument', `reference JSON lines: line ${i + 1} is not valid JSON`);
      }
    });
}

/** Per-column profile: moments and sketch quantiles for numbers, top categories otherwise. */
export function profileOf(columns: Columns): NonNullable<ReferenceInfo['profile']> {
  const out: NonNullable<ReferenceInfo['profile']> = {};
  for (const [name, values] of Object.entries(columns)) {
    const present = values.filter((v) => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
    if (present.every((v) => typeof v === 'number')) {
      const p = new NumericProfile();
      for (const v of values) p.add(v as number | null);
      const has = p.count > 0;
      out[name] = {
        kind: 'num',
        count: p.count,
        missing: p.missing,
        mean: has ? p.mean : null,
        std: has ? Math.sqrt(p.variance) : null,
        min: has ? p.min : null,
        max: has ? p.max : null,
        quantiles: has ? { p05: p.quantile(0.05), p25: p.quantile(0.25), p50: p.quantile(0.5), p75: p.quantile(0.75), p95: p.quantile(0.95) } : {},
        histogram: p.histogram(10),
      };
    } else {
      const p = new CategoryProfile(100);
      for (const v of values) p.add(v as string | number | boolean | null);
      out[name] = { kind: 'cat', count: p.count, missing: p.missing, top: p.top().slice(0, 20) };
    }
  }
  return out;
}
