import type { Kysely } from 'kysely';
import type { RuleEvaluation, RuleResult } from '../contracts/approvals.js';
import type { CardFields } from '../contracts/cards.js';
import type { StoredFairnessReport } from '../contracts/fairness.js';
import { AliasName } from '../contracts/common.js';
import { type MetricRule, PromotionRules, type StoredPromotionRules } from '../contracts/promotion-rules.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, PromotionRulesTable, Writes } from '../storage/index.js';
import type { RuleJudge } from './approval-service.js';
import { maxFairnessEvaluator, requireCardEvaluator } from './transparency-rules.js';

/** What the card and fairness rules read, through the judging write's transaction. */
export interface RuleSources {
  cardFields(db: Kysely<DB>, model: string, version: number): Promise<CardFields>;
  latestFairness(db: Kysely<DB>, model: string, version: number): Promise<StoredFairnessReport | null>;
}

const toStored = (r: PromotionRulesTable): StoredPromotionRules => ({
  model: r.model,
  alias: r.alias,
  rules: PromotionRules.parse(JSON.parse(r.rules)),
  updatedBy: r.updated_by,
  updatedAt: r.updated_at,
});

const compare = (v: number, r: MetricRule) => (r.op === '>=' ? v >= r.threshold : r.op === '>' ? v > r.threshold : r.op === '<=' ? v <= r.threshold : v < r.threshold);

/**
 * Promotion rules per model and alias (an admin's), and their judge: every rule is evaluated
 * against the version an alias would move to, with what it measured. Metrics come from the
 * version (registration metrics, then its validation gate); drift from the latest monitor window
 * of a deployment following the alias; cards and fairness from the transparency evaluators.
 */
export class PromotionRulesService implements RuleJudge {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly sources: RuleSources,
  ) {}

  async list(model: string): Promise<StoredPromotionRules[]> {
    return (await this.db.selectFrom('promotion_rules').selectAll().where('model', '=', model).orderBy('alias').execute()).map(toStored);
  }

  /** Sets (replaces) the rules of an alias; an empty set removes them. */
  async set(model: string, alias: string, input: unknown, by: Actor): Promise<StoredPromotionRules> {
    parseInput(AliasName, alias, 'alias');
    const rules = parseInput(PromotionRules, input ?? {});
    return this.writes.run({
      by,
      permission: { role: 'admin', model },
      apply: async (tx) => {
        const exists = await tx.db.selectFrom('models').select('id').where('name', '=', model).executeTakeFirst();
        if (!exists) throw new AppError('not_found', `model ${model} not found`, { model });
        const row: PromotionRulesTable = { model, alias, rules: JSON.stringify(rules), updated_by: tx.by.actor, updated_at: tx.now };
        const before = await tx.db.selectFrom('promotion_rules').selectAll().where('model', '=', model).where('alias', '=', alias).executeTakeFirst();
        await tx.db.deleteFrom('promotion_rules').where('model', '=', model).where('alias', '=', alias).execute();
        await tx.db.insertInto('promotion_rules').values(row).execute();
        const stored = toStored(row);
        tx.audit({ action: 'rules.set', target: `model:${model}@${alias}`, before: before ? toStored(before).rules : null, after: stored.rules });
        return stored;
      },
    });
  }

  async evaluate(db: Kysely<DB>, model: string, alias: string, version: number, now: string): Promise<RuleEvaluation | null> {
    const row = await db.selectFrom('promotion_rules').selectAll().where('model', '=', model).where('alias', '=', alias).executeTakeFirst();
    if (!row) return null;
    const rules = toStored(row).rules;
    const target = { model, version };
    const results: RuleResult[] = [];
    const v = await db
      .selectFrom('model_versions as v')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .select(['v.metrics'])
      .where('m.name', '=', model)
      .where('v.version', '=', version)
      .executeTakeFirst();
    const metrics = JSON.parse(v?.metrics ?? '{}') as Record<string, number>;
    const validation = await db
      .selectFrom('version_validations')
      .select('result')
      .where('model', '=', model)
      .where('version', '=', version)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const gate = validation ? (JSON.parse(validation.result) as { passed: boolean; checks: { metric: string; challenger: number | null }[] }) : null;
    for (const r of rules.minMetrics) {
      const rule = `${r.metric}${r.op}${r.threshold}`;
      const value = typeof metrics[r.metric] === 'number' ? metrics[r.metric]! : (gate?.checks.find((c) => c.metric === r.metric)?.challenger ?? null);
      if (value === null) results.push({ rule, passed: false, measured: null, message: `version ${version} records no ${r.metric} (registration metrics or validation gate), so the rule fails closed` });
      else results.push({ rule, passed: compare(value, r), measured: value, message: `${r.metric} of version ${version} is ${value}` });
    }
    if (rules.requireValidation) {
      const rule = 'requireValidation';
      if (!gate) results.push({ rule, passed: false, measured: null, message: `version ${version} has no validation gate result (it was not retrained by Sextant)` });
      else results.push({ rule, passed: gate.passed, measured: gate.passed ? 'passed' : 'failed', message: `the validation gate of version ${version} ${gate.passed ? 'passed' : 'failed'}` });
    }
    if (rules.maxDriftShare !== null) results.push(await this.drift(db, model, alias, rules.maxDriftShare));
    if (rules.requireCard.length > 0) {
      const judged = await requireCardEvaluator((m, ver) => this.sources.cardFields(db, m, ver)).evaluate({ sections: rules.requireCard }, target);
      results.push({ rule: `requireCard ${rules.requireCard.join(',')}`, ...judged });
    }
    for (const f of rules.maxFairness) {
      const judged = await maxFairnessEvaluator((m, ver) => this.sources.latestFairness(db, m, ver)).evaluate(f, target);
      results.push({ rule: `${f.metric}<=${f.threshold}`, ...judged });
    }
    return { alias, version, passed: results.every((r) => r.passed), results, evaluatedAt: now };
  }

  /** The drifted share of the latest monitor window of a deployment following the alias (or, lacking one, of the model). */
  private async drift(db: Kysely<DB>, model: string, alias: string, max: number): Promise<RuleResult> {
    const rule = `driftShare<=${max}`;
    const deployments = await db.selectFrom('deployments as d').innerJoin('models as m', 'm.id', 'd.model_id').select(['d.name', 'd.spec']).where('m.name', '=', model).execute();
    const following = deployments.filter((d) => (JSON.parse(d.spec) as { alias?: string }).alias === alias).map((d) => d.name);
    const names = following.length ? following : deployments.map((d) => d.name);
    const window = names.length
      ? await db.selectFrom('monitor_results').select(['deployment', 'window_end', 'drift']).where('deployment', 'in', names).where('drift', 'is not', null).orderBy('window_end', 'desc').limit(1).executeTakeFirst()
      : undefined;
    if (!window) return { rule, passed: false, measured: null, message: `no monitor window with drift for a deployment of ${model} (sextant monitor create), so the rule fails closed` };
    const share = (JSON.parse(window.drift!) as { driftedShare: number }).driftedShare;
    return { rule, passed: share <= max, measured: share, message: `drifted share ${share} in the window of deployment ${window.deployment} ending ${window.window_end}` };
  }
}
