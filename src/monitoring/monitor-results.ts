import { type Monitor, type MonitorResult, MonitorThresholds } from '../contracts/monitoring.js';
import type { MonitorResultsTable, MonitorsTable } from '../storage/index.js';

export const toMonitor = (r: MonitorsTable): Monitor => ({
  deployment: r.deployment,
  windowSeconds: r.window_rows === null ? Number(r.window_seconds) : null,
  windowRows: r.window_rows === null ? null : Number(r.window_rows),
  thresholds: MonitorThresholds.parse(JSON.parse(r.thresholds)),
  createdAt: r.created_at,
});

/** The `sections` column: evaluators' sections beyond drift, data quality and quality, and the state they carry to the next window. */
interface StoredSections {
  sections: Record<string, unknown>;
  state: Record<string, unknown>;
}

/** The state an evaluator stored with a window (what it carries to the next), or null. */
export function storedState(row: Pick<MonitorResultsTable, 'sections'> | undefined, evaluator: string): unknown {
  if (!row?.sections) return null;
  return (JSON.parse(row.sections) as StoredSections).state[evaluator] ?? null;
}

/**
 * A window's row from its evaluators' sections. Drift (with the failed data-quality checks) and
 * quality keep the columns they always had; every other section goes in `sections`.
 */
export function toRow(deployment: string, start: Date, end: Date, sections: Record<string, unknown>, state: Record<string, unknown>, alert: string[]): MonitorResultsTable {
  const { drift, dataQuality, quality, ...others } = sections;
  const extra = Object.keys(others).length > 0 || Object.keys(state).length > 0;
  return {
    deployment,
    window_end: end.toISOString(),
    window_start: start.toISOString(),
    drift: JSON.stringify({ ...(drift as object), dataQuality }),
    quality: quality ? JSON.stringify(quality) : null,
    alert: JSON.stringify(alert),
    sections: extra ? JSON.stringify({ sections: others, state } satisfies StoredSections) : null,
  };
}

export function toResult(r: MonitorResultsTable): MonitorResult {
  const drift = r.drift
    ? (JSON.parse(r.drift) as { error?: string; drifted: boolean; driftedShare: number; features: unknown[]; dataQuality?: MonitorResult['dataQuality'] })
    : null;
  const others = r.sections ? (JSON.parse(r.sections) as StoredSections).sections : {};
  return {
    ...others,
    deployment: r.deployment,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    drift: drift && !drift.error ? { drifted: drift.drifted, driftedShare: drift.driftedShare, features: drift.features } : null,
    driftError: drift?.error ?? null,
    quality: r.quality ? (JSON.parse(r.quality) as Record<string, number | null>) : null,
    dataQuality: drift?.dataQuality ?? [],
    alert: r.alert ? (JSON.parse(r.alert) as string[]) : [],
  };
}
