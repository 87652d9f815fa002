import type { Kysely } from 'kysely';
import type { Deployment } from '../contracts/deployments.js';
import type { FeatureImportance } from '../contracts/explanations.js';
import type { StoredFairnessReport } from '../contracts/fairness.js';
import type { WindowValue } from '../contracts/kpi.js';
import type { ReferenceInfo } from '../contracts/monitoring.js';
import type { QualityReport } from '../contracts/monitoring.js';
import type { ValidationResult } from '../contracts/pipelines.js';
import type { Registry } from '../registry/index.js';
import { AppError } from '../shared/app-error.js';
import type { DB } from '../storage/index.js';
import type { CardApproval, CardDrift, CardSources, CardValueWindow, CardWindow } from './card-service.js';

/** Newest monitor windows per deployment a card shows. */
const WINDOWS = 5;

export interface CardSourceDeps {
  db: Kysely<DB>;
  registry: Registry;
  deployment(name: string): Promise<Deployment>;
  validation(model: string, version: number): Promise<ValidationResult>;
  quality(deployment: string, window: { since: string; until: string }): Promise<QualityReport>;
  reference(model: string, version: number): Promise<ReferenceInfo>;
  fairness(model: string, version: number): Promise<StoredFairnessReport | null>;
  importance(model: string, version: number): Promise<Omit<FeatureImportance, 'model' | 'version'>>;
  approvals(model: string, version: number): Promise<CardApproval[]>;
}

const orNull = async <T>(p: Promise<T>): Promise<T | null> => {
  try {
    return await p;
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') return null;
    throw err;
  }
};

async function monitored(db: Kysely<DB>, model: string): Promise<string[]> {
  const rows = await db
    .selectFrom('monitors as mo')
    .innerJoin('deployments as d', 'd.name', 'mo.deployment')
    .innerJoin('models as m', 'm.id', 'd.model_id')
    .select('mo.deployment')
    .where('m.name', '=', model)
    .execute();
  return rows.map((r) => r.deployment);
}

/** The card's sources over the services that hold each fact. */
export function cardSources(d: CardSourceDeps): CardSources {
  return {
    model: (name) => d.registry.models.get(name),
    version: (name, version) => d.registry.versions.get(name, version),
    validation: (name, version) => orNull(d.validation(name, version)),
    aliasHistory: async (name) => (await d.registry.aliases.history(name)).periods,
    fairness: d.fairness,
    importance: d.importance,
    approvals: d.approvals,
    reference: async (name, version) => {
      const r = await orNull(d.reference(name, version));
      return r && { rows: r.rows, columns: r.columns, digest: r.digest };
    },
    /** Windows of the monitored deployments now routing to the version, newest first, measured and estimated. */
    liveQuality: async (name, version) => {
      const out: CardWindow[] = [];
      for (const dep of await monitored(d.db, name)) {
        const routes = (await d.deployment(dep)).routes;
        if (!routes.some((r) => r.version === version)) continue;
        const windows = await d.db.selectFrom('monitor_results').select(['window_start', 'window_end', 'alert']).where('deployment', '=', dep).orderBy('window_end', 'desc').limit(WINDOWS).execute();
        for (const w of windows) {
          const q = await d.quality(dep, { since: w.window_start, until: w.window_end });
          out.push({ deployment: dep, windowStart: w.window_start, windowEnd: w.window_end, rows: q.rows, measured: q.metrics, estimated: q.estimated as Record<string, number | null> | null, alert: JSON.parse(w.alert ?? '[]') as string[] });
        }
      }
      return out;
    },
    /** The model's KPI and the value of the newest windows of the monitored deployments now routing to the version. */
    businessValue: async (name, version) => {
      const kpi = await d.db.selectFrom('model_kpis').select('spec').where('model', '=', name).executeTakeFirst();
      const windows: CardValueWindow[] = [];
      for (const dep of await monitored(d.db, name)) {
        if (!(await d.deployment(dep)).routes.some((r) => r.version === version)) continue;
        const rows = await d.db.selectFrom('monitor_results').select(['window_end', 'sections']).where('deployment', '=', dep).orderBy('window_end', 'desc').limit(WINDOWS).execute();
        for (const r of rows) {
          const v = (r.sections ? (JSON.parse(r.sections) as { sections?: { value?: WindowValue | null } }).sections?.value : null) ?? null;
          if (!v) continue;
          windows.push({
            deployment: dep,
            windowEnd: r.window_end,
            labelledRows: v.measured?.rows ?? 0,
            measuredPer1000: v.measured?.per1000 ?? null,
            estimatedPer1000: v.estimated?.per1000 ?? null,
            band: v.estimated ? [v.estimated.low, v.estimated.high] : null,
            costPer1000: v.compute.costPer1000,
            netPer1000: v.netPer1000,
          });
        }
      }
      return { kpi: kpi ? (JSON.parse(kpi.spec) as Record<string, unknown>) : null, windows };
    },
    drift: async (name) => {
      const out: CardDrift[] = [];
      for (const dep of await monitored(d.db, name)) {
        const w = await d.db.selectFrom('monitor_results').select(['window_end', 'drift']).where('deployment', '=', dep).orderBy('window_end', 'desc').limit(1).executeTakeFirst();
        const open = await d.db.selectFrom('alerts').select('rule').where('deployment', '=', dep).where('status', 'in', ['open', 'acked']).execute();
        if (!w) continue;
        const drift = JSON.parse(w.drift ?? '{}') as { error?: string; drifted?: boolean; driftedShare?: number; features?: { feature: string; drifted: boolean }[] };
        out.push({
          deployment: dep,
          windowEnd: w.window_end,
          drifted: drift.drifted === true,
          driftedShare: drift.driftedShare ?? 0,
          driftedFeatures: (drift.features ?? []).filter((f) => f.drifted).map((f) => f.feature),
          error: drift.error ?? null,
          openAlerts: open.map((a) => a.rule),
        });
      }
      return out;
    },
  };
}
