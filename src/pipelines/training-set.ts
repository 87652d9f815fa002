import { AppError } from '../shared/app-error.js';
import { seededRandom, shuffledIndices } from '../shared/random.js';
import type { LabelValue, TrainingData } from './trainers/index.js';

/** One labelled example: feature values by name, and the label. */
export interface Example {
  values: Record<string, unknown>;
  label: LabelValue;
}

function numeric(v: unknown, feature: string, row: number, source: string): number {
  if (v === null || v === undefined || v === '') return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(n)) return n;
  throw new AppError('invalid_argument', `${source} row ${row + 1}: feature ${feature} is not a number (${JSON.stringify(v)})`);
}

/** Column form of examples, in the given feature order. */
export function toTrainingData(examples: Example[], features: string[], source = 'training data'): TrainingData {
  const columns = features.map((f) => Float64Array.from(examples, (e, i) => numeric(e.values[f], f, i, source)));
  return { features, columns, labels: examples.map((e) => e.label), rows: examples.length };
}

/** Rows of a table (reference CSV or JSON lines) with a target column as examples; rows without a label are left out. */
export function examplesFromRows(rows: Record<string, unknown>[], target: string): Example[] {
  const out: Example[] = [];
  for (const r of rows) {
    const label = r[target];
    if (label === null || label === undefined || label === '') continue;
    out.push({ values: r, label: typeof label === 'boolean' ? Number(label) : (label as LabelValue) });
  }
  return out;
}

/** Drops exact duplicates (same features and label), keeping the first. */
export function dedupe(examples: Example[], features: string[]): Example[] {
  const seen = new Set<string>();
  return examples.filter((e) => {
    const key = JSON.stringify([features.map((f) => e.values[f] ?? null), e.label]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Splits examples into training and holdout with a seeded shuffle. The holdout is drawn from
 * `recent` when there are enough of them (at least 50), so the gate judges both models on the data
 * they will meet next; otherwise from everything.
 */
export function splitHoldout(older: Example[], recent: Example[], fraction: number, seed: number): { train: Example[]; holdout: Example[] } {
  const r = seededRandom(seed);
  const pool = recent.length >= 50 ? recent : [...older, ...recent];
  const order = shuffledIndices(pool.length, r);
  const k = Math.max(1, Math.round(pool.length * fraction));
  const holdout = Array.from(order.subarray(0, k), (i) => pool[i]!);
  const rest = Array.from(order.subarray(k), (i) => pool[i]!);
  return { train: pool === recent ? [...older, ...rest] : rest, holdout };
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV with a header: the features, then the target. */
export function toCsv(examples: Example[], features: string[], target: string): string {
  const lines = [[...features, target].map(csvCell).join(',')];
  for (const e of examples) lines.push([...features.map((f) => csvCell(e.values[f])), csvCell(e.label)].join(','));
  return `${lines.join('\n')}\n`;
}
