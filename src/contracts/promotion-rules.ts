import { z } from 'zod';
import { AliasName, ModelName, Timestamp } from './common.js';

/** `accuracy>=0.9`: a metric of the version (registration metrics, then its validation gate) against a bound. */
export const MetricRule = z.object({
  metric: z.string().min(1).max(128),
  op: z.enum(['>=', '>', '<=', '<']),
  threshold: z.number(),
});
export type MetricRule = z.infer<typeof MetricRule>;

/** `demographicParityDifference<=0.1`: the version's latest fairness report bounds a difference. */
export const FairnessRule = z.object({ metric: z.string().min(1).max(128), threshold: z.number().min(0) });

/**
 * What the version an alias moves to must show. Every rule is judged before the alias moves,
 * directly or through an approval; a failing one answers 412 `failed_precondition`.
 */
export const PromotionRules = z
  .object({
    minMetrics: z.array(MetricRule).max(50).default([]),
    requireCard: z.array(z.string().min(1).max(64)).max(20).default([]).describe('card sections the version must fill (intendedUse, limitations, …)'),
    requireValidation: z.boolean().default(false).describe('the version passed a validation gate (a retrain)'),
    maxDriftShare: z.number().min(0).max(1).nullable().default(null).describe('the latest monitor window of a deployment following the alias drifts on at most this share of features'),
    maxFairness: z.array(FairnessRule).max(10).default([]),
  })
  .strict()
  .meta({ id: 'PromotionRules' });
export type PromotionRulesInput = z.input<typeof PromotionRules>;
export type PromotionRules = z.infer<typeof PromotionRules>;

export const StoredPromotionRules = z
  .object({ model: ModelName, alias: AliasName, rules: PromotionRules, updatedBy: z.string(), updatedAt: Timestamp })
  .meta({ id: 'StoredPromotionRules' });
export type StoredPromotionRules = z.infer<typeof StoredPromotionRules>;

export const PromotionRulesList = z.object({ rules: z.array(StoredPromotionRules) }).meta({ id: 'PromotionRulesList' });
