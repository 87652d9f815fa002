import type { Kysely } from 'kysely';
import { PolicySpec, type RetrainingPolicy } from '../contracts/pipelines.js';
import type { ModelService } from '../registry/index.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, RetrainingPoliciesTable, Writes } from '../storage/index.js';
import { parseCron } from './cron.js';

const toPolicy = (r: RetrainingPoliciesTable): RetrainingPolicy => ({
  model: r.model,
  spec: PolicySpec.parse(JSON.parse(r.spec)),
  updatedBy: r.updated_by,
  updatedAt: r.updated_at,
});

/** Retraining policies, one per model; every change is audited. */
export class PolicyService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly models: ModelService,
  ) {}

  /** Replaces a model's policy (defaults fill what the input leaves out). */
  async set(model: string, input: unknown, by: Actor & { reason?: string }): Promise<RetrainingPolicy> {
    const permission = { role: 'deployer', model } as const;
    await this.writes.authorize(by, permission);
    const spec = parseInput(PolicySpec, input ?? {});
    if (spec.triggers.schedule) parseCron(spec.triggers.schedule);
    if (spec.trainer.type === 'ridge' || spec.trainer.type === 'logistic' || spec.trainer.type === 'gbt') {
      const m = await this.models.get(model);
      if (spec.trainer.type === 'ridge' && m.task && m.task !== 'regression') throw new AppError('invalid_argument', `trainer.type ridge is for regression, but ${model} is ${m.task}`, { field: 'trainer.type' });
      if (spec.trainer.type === 'logistic' && m.task === 'regression') throw new AppError('invalid_argument', `trainer.type logistic is for classification, but ${model} is a regression model`, { field: 'trainer.type' });
      if (spec.trainer.type === 'gbt' && m.task === 'multiclass-classification') throw new AppError('invalid_argument', 'trainer.type gbt supports binary classification and regression', { field: 'trainer.type' });
    } else await this.models.get(model);
    return this.writes.run({
      by,
      permission,
      apply: async ({ db, now, audit }) => {
        const row: RetrainingPoliciesTable = { model, spec: JSON.stringify(spec), updated_by: by.actor, updated_at: now };
        const before = await db.selectFrom('retraining_policies').selectAll().where('model', '=', model).executeTakeFirst();
        if (before) await db.updateTable('retraining_policies').set(row).where('model', '=', model).execute();
        else await db.insertInto('retraining_policies').values(row).execute();
        audit({ action: 'policy.set', target: `model:${model}`, before: before ? JSON.parse(before.spec) : null, after: spec, reason: by.reason });
        return toPolicy(row);
      },
    });
  }

  /** A model's policy; `not_found` says how to set one. */
  async get(model: string): Promise<RetrainingPolicy> {
    const r = await this.db.selectFrom('retraining_policies').selectAll().where('model', '=', model).executeTakeFirst();
    if (!r) {
      await this.models.get(model);
      throw new AppError('not_found', `model ${model} has no retraining policy; set one with sextant policy set ${model}`, { model });
    }
    return toPolicy(r);
  }

  /** The model's policy, or null when it has none. */
  async find(model: string): Promise<PolicySpec | null> {
    const r = await this.db.selectFrom('retraining_policies').select('spec').where('model', '=', model).executeTakeFirst();
    return r ? PolicySpec.parse(JSON.parse(r.spec)) : null;
  }

  /** The policy, or the defaults for the model's task when it has none (a manual retrain needs no policy). */
  async effective(model: string): Promise<PolicySpec> {
    const found = await this.find(model);
    if (found) return found;
    const m = await this.models.get(model);
    return PolicySpec.parse({ trainer: { type: m.task === 'regression' ? 'ridge' : 'logistic' } });
  }

  /** Every model's policy (what the schedule and label triggers walk). */
  async list(): Promise<RetrainingPolicy[]> {
    return (await this.db.selectFrom('retraining_policies').selectAll().orderBy('model').execute()).map(toPolicy);
  }
}
