import type { Kysely } from 'kysely';
import { KpiSpec, type ModelKpi } from '../contracts/kpi.js';
import type { Model } from '../contracts/models.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, ModelKpisTable, Writes } from '../storage/index.js';

/** The fields of a KPI that fit each task; the others are refused, naming the field. */
const FITS: Record<string, readonly (keyof KpiSpec)[]> = {
  'binary-classification': ['outcomes', 'computePrice'],
  'multiclass-classification': ['classes', 'computePrice'],
  regression: ['absErrorCost', 'computePrice'],
};

const WHAT: Record<string, string> = {
  outcomes: 'outcome values (tp, fp, fn, tn) are for binary classifiers',
  classes: 'per-class outcome values are for multiclass classifiers',
  absErrorCost: 'a cost per unit of absolute error is for regression models',
};

/** Refuses the fields of `spec` that do not fit the model's task. */
function checkTask(model: string, task: string, spec: KpiSpec): void {
  const fits = FITS[task];
  if (!fits) return;
  for (const key of Object.keys(spec) as (keyof KpiSpec)[]) {
    if (spec[key] !== undefined && !fits.includes(key)) {
      const message = `${WHAT[key]}, but ${model} is ${task}`;
      throw new AppError('invalid_argument', `invalid body: body.${key}: ${message}`, { fields: [{ field: `body.${key}`, message }] });
    }
  }
}

/** A model's KPI with the task it was checked against. */
export interface KpiOf {
  task: string;
  spec: KpiSpec;
}

/** Business value KPIs, one per model; every change is audited. */
export class KpiService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly models: { get(name: string): Promise<Model> },
  ) {}

  /** Replaces a model's KPI. */
  async set(model: string, input: unknown, by: Actor & { reason?: string }): Promise<ModelKpi> {
    const permission = { role: 'editor', model } as const;
    await this.writes.authorize(by, permission);
    const spec = parseInput(KpiSpec, input ?? {});
    const m = await this.models.get(model);
    checkTask(model, m.task, spec);
    return this.writes.run({
      by,
      permission,
      apply: async ({ db, now, audit }) => {
        const row: ModelKpisTable = { model, spec: JSON.stringify(spec), updated_by: by.actor, updated_at: now };
        const before = await db.selectFrom('model_kpis').selectAll().where('model', '=', model).executeTakeFirst();
        if (before) await db.updateTable('model_kpis').set(row).where('model', '=', model).execute();
        else await db.insertInto('model_kpis').values(row).execute();
        audit({ action: 'kpi.set', target: `model:${model}`, before: before ? JSON.parse(before.spec) : null, after: spec, reason: by.reason });
        return { model, task: m.task, spec, updatedBy: by.actor, updatedAt: now };
      },
    });
  }

  /** A model's KPI; `not_found` says how to set one. */
  async get(model: string): Promise<ModelKpi> {
    const m = await this.models.get(model);
    const r = await this.db.selectFrom('model_kpis').selectAll().where('model', '=', model).executeTakeFirst();
    if (!r) throw new AppError('not_found', `model ${model} has no KPI; set one with sextant kpi set ${model}`, { model });
    return { model, task: m.task, spec: KpiSpec.parse(JSON.parse(r.spec)), updatedBy: r.updated_by, updatedAt: r.updated_at };
  }

  /** The KPI of the model a deployment serves, or null when it has none. */
  async ofDeployment(deployment: string): Promise<KpiOf | null> {
    const r = await this.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .innerJoin('model_kpis as k', 'k.model', 'm.name')
      .select(['m.task', 'k.spec'])
      .where('d.name', '=', deployment)
      .executeTakeFirst();
    return r ? { task: r.task, spec: KpiSpec.parse(JSON.parse(r.spec)) } : null;
  }
}
