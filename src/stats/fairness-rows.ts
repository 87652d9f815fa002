import { AppError } from '../shared/app-error.js';
import { type FairnessMetrics, fairnessMetrics } from './fairness.js';

/** Where a dataset's decisions come from. */
export type Decisions =
  | { kind: 'prediction'; column: string }
  | { kind: 'score'; column: string; cutoff: number }
  /** Decisions made elsewhere (a version scoring the rows), one per row, null when missing. */
  | { kind: 'given'; values: (number | null)[]; what: string; cutoff: number | null };

/** The metrics plus what they were computed from (the shape of the REST contract's FairnessReport). */
export interface FairnessOfRows extends FairnessMetrics {
  label: string;
  sensitive: string;
  /** A prediction column, "SCORE >= CUTOFF", or what decided. */
  decision: string;
  cutoff: number | null;
  rows: number;
  excludedRows: number;
}

export interface FairnessOptions {
  label: string;
  sensitive: string;
  privileged?: string;
  decisions: Decisions;
}

const missing = (v: unknown) => v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));

/** A 0/1 value as a number; true/false and "0"/"1" count; anything else is null. */
function binary(v: unknown): 0 | 1 | null {
  if (v === 1 || v === true || v === '1' || v === 'true') return 1;
  if (v === 0 || v === false || v === '0' || v === 'false') return 0;
  return null;
}

/**
 * Fairness of a dataset's decisions: checks the columns (naming the one at fault), leaves out
 * rows missing a label, a decision or a group, and computes the metrics.
 */
export function fairnessOfRows(rows: readonly Record<string, unknown>[], o: FairnessOptions): FairnessOfRows {
  if (rows.length === 0) throw new AppError('invalid_argument', 'the dataset has no rows');
  const d = o.decisions;
  const needed = [o.label, o.sensitive, ...(d.kind === 'given' ? [] : [d.column])];
  for (const c of needed) if (!rows.some((r) => c in r)) throw new AppError('invalid_argument', `the dataset has no column ${c}`, { column: c });
  const labels: number[] = [];
  const decisions: number[] = [];
  const groups: string[] = [];
  let excluded = 0;
  rows.forEach((r, i) => {
    const y = r[o.label];
    const g = r[o.sensitive];
    const raw = d.kind === 'given' ? d.values[i] : r[d.column];
    if (missing(y) || missing(g) || missing(raw)) {
      excluded++;
      return;
    }
    const label = binary(y);
    if (label === null) throw new AppError('invalid_argument', `column ${o.label}, row ${i + 1}: labels must be 0 or 1 (got ${JSON.stringify(y)})`, { column: o.label, row: i + 1 });
    let decision: 0 | 1 | null;
    if (d.kind === 'score') {
      const s = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(s)) throw new AppError('invalid_argument', `column ${d.column}, row ${i + 1}: scores must be numbers (got ${JSON.stringify(raw)})`, { column: d.column, row: i + 1 });
      decision = s >= d.cutoff ? 1 : 0;
    } else decision = binary(raw);
    if (decision === null) {
      const what = d.kind === 'given' ? d.what : `column ${d.column}`;
      throw new AppError('invalid_argument', `${what}, row ${i + 1}: decisions must be 0 or 1 (got ${JSON.stringify(raw)})`, { row: i + 1 });
    }
    labels.push(label);
    decisions.push(decision);
    groups.push(String(g));
  });
  if (labels.length === 0) throw new AppError('invalid_argument', `no row has a label (${o.label}), a decision and a group (${o.sensitive})`);
  if (o.privileged !== undefined && !groups.includes(o.privileged)) {
    throw new AppError('invalid_argument', `privileged group ${JSON.stringify(o.privileged)} does not occur in column ${o.sensitive} (groups: ${[...new Set(groups)].sort().slice(0, 10).join(', ')})`, {
      column: o.sensitive,
    });
  }
  const m = fairnessMetrics(labels, decisions, groups, o.privileged);
  return {
    label: o.label,
    sensitive: o.sensitive,
    decision: d.kind === 'prediction' ? d.column : d.kind === 'score' ? `${d.column} >= ${d.cutoff}` : d.what,
    cutoff: d.kind === 'score' ? d.cutoff : d.kind === 'given' ? d.cutoff : null,
    rows: labels.length,
    excludedRows: excluded,
    ...m,
  };
}
