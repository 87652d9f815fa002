import type { Values } from './binning.js';
import { type Cell, ColumnStore } from './column-store.js';
import { driftReport, type DriftOptions, type DriftReport, type FeatureDrift } from './drift-report.js';
import { sketchedTest } from './drift-sketched.js';

/** Rank error of one KLL sketch at k = 240 that Sextant states (DataSketches' 99 % bound at k = 200). */
export const KLL_RANK_ERROR = 0.0133;

/**
 * One side of a drift comparison read as a stream of rows: exact up to `rowBound` rows, then every
 * column switches to its sketch, so memory stops growing with rows.
 */
export class DriftSide {
  rows = 0;
  readonly columns = new Map<string, ColumnStore>();

  constructor(
    readonly rowBound = 1_000_000,
    private readonly distinctCap = 10_000,
  ) {}

  get exact(): boolean {
    return this.rows <= this.rowBound;
  }

  private stores: ColumnStore[] = [];
  private names: string[] = [];

  private lastNames: readonly string[] | null = null;
  private lastStores: ColumnStore[] = [];
  private others: ColumnStore[] = [];

  /** Appends a record given in the order of `names` (distinct names, usually a file's header), without a row object. */
  pushValues(names: readonly string[], values: readonly Cell[]): void {
    if (names !== this.lastNames) {
      for (const k of names) if (!this.columns.has(k)) this.push({ [k]: null }, false);
      this.lastNames = names;
      this.lastStores = names.map((k) => this.columns.get(k)!);
      this.others = this.stores.filter((s) => !this.lastStores.includes(s));
    }
    for (let i = 0; i < names.length; i++) this.lastStores[i]!.push(values[i]);
    for (const s of this.others) s.push(null);
    this.rowDone();
  }

  push(row: Record<string, unknown>, counted = true): void {
    for (const k in row) {
      if (this.columns.has(k)) continue;
      const store = new ColumnStore(this.distinctCap, this.rows);
      this.columns.set(k, store);
      this.stores.push(store);
      this.names.push(k);
    }
    if (!counted) {
      // Registering a column only: its store was back-filled with missing values for earlier rows.
      return;
    }
    for (let i = 0; i < this.stores.length; i++) this.stores[i]!.push(row[this.names[i]!] as Cell | undefined);
    this.rowDone();
  }

  private rowDone(): void {
    this.rows++;
    if (this.rows === this.rowBound + 1) for (const s of this.columns.values()) s.sketch();
  }
}

export interface StreamedFeatureDrift extends FeatureDrift {
  /** Sketch mode: how far the statistic may be from the exact one (KS, Wasserstein), or each bin share (PSI, KL, Jensen–Shannon); 0 when computed exactly. */
  errorBound?: number;
}

export interface StreamedDriftReport extends DriftReport {
  features: StreamedFeatureDrift[];
  mode: 'exact' | 'sketch';
  rows: { reference: number; current: number };
  rowBound: number;
  /** Sketch mode: the KLL rank error per sketched side. */
  rankError?: number;
}

/**
 * The drift report of two streamed sides. Both within the row bound: exactly `driftReport`, a column
 * at a time. Either beyond it: tests from value counts where a column has few distinct values
 * (exact), and from KLL sketches and running moments otherwise, each with its error bound; tests
 * that need every value in order are skipped with the reason.
 */
export function streamDriftReport(reference: DriftSide, current: DriftSide, options: DriftOptions = {}): StreamedDriftReport {
  const features: StreamedFeatureDrift[] = [];
  const skipped: DriftReport['skipped'] = [];
  const exact = reference.exact && current.exact;
  for (const [feature, ref] of reference.columns) {
    const cur = current.columns.get(feature);
    if (!cur) {
      skipped.push({ feature, reason: 'not in the current data' });
      continue;
    }
    const pick = <T>(o: Record<string, T> | undefined) => (o && feature in o ? { [feature]: o[feature]! } : undefined);
    const one = { kinds: pick(options.kinds), tests: pick(options.tests), thresholds: pick(options.thresholds) };
    if (exact) {
      const r = driftReport({ [feature]: ref.values() as Values }, { [feature]: cur.values() as Values }, one);
      features.push(...r.features.map((f) => ({ ...f, errorBound: 0 })));
      skipped.push(...r.skipped);
      continue;
    }
    const result = sketchedTest(feature, ref, cur, { kind: one.kinds?.[feature], test: one.tests?.[feature], threshold: one.thresholds?.[feature], rankError: KLL_RANK_ERROR });
    if ('reason' in result) skipped.push(result);
    else features.push(result);
  }
  const driftedShare = features.length ? features.filter((f) => f.drifted).length / features.length : 0;
  return {
    features,
    skipped,
    driftedShare,
    drifted: features.length > 0 && driftedShare >= (options.driftShare ?? 0.5),
    mode: exact ? 'exact' : 'sketch',
    rows: { reference: reference.rows, current: current.rows },
    rowBound: reference.rowBound,
    ...(exact ? {} : { rankError: KLL_RANK_ERROR }),
  };
}
