import type { Command } from 'commander';
import type { MetricRule, PromotionRulesInput, StoredPromotionRules } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client, collectList } from '../context.js';
import { printJson, withJson } from '../output.js';

/** `accuracy>=0.9` → a metric rule. */
function metricRule(flag: string, text: string): MetricRule {
  const m = /^([A-Za-z0-9_.:-]+)\s*(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(text.trim());
  if (!m) throw new CliError(`${flag} must look like METRIC>=NUMBER (or >, <=, <), got ${JSON.stringify(text)}`, 2);
  return { metric: m[1]!, op: m[2] as MetricRule['op'], threshold: Number(m[3]) };
}

function describe(r: StoredPromotionRules): string[] {
  const lines = [
    ...r.rules.minMetrics.map((m) => `${m.metric}${m.op}${m.threshold}`),
    ...(r.rules.requireCard.length ? [`card fills ${r.rules.requireCard.join(', ')}`] : []),
    ...(r.rules.requireValidation ? ['validation gate passed'] : []),
    ...(r.rules.maxDriftShare !== null ? [`drifted share <= ${r.rules.maxDriftShare}`] : []),
    ...r.rules.maxFairness.map((f) => `${f.metric}<=${f.threshold}`),
  ];
  return lines.length ? lines : ['(no rules)'];
}

/** `sextant rules set|show`: what the version an alias moves to must show. */
export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('promotion rules: what a version must show before an alias moves to it');

  withJson(rules.command('set <model>'))
    .description('set (replace) the promotion rules of an alias (admin); a failing rule refuses a move with 412')
    .requiredOption('--alias <alias>', 'the alias the rules guard, e.g. champion')
    .option('--min-metric <rule>', 'METRIC>=NUMBER from the version (registration metrics, then its validation gate); repeatable', collectList, [])
    .option('--require-card <sections>', 'card sections the version must fill, comma-separated (intendedUse,limitations)')
    .option('--require-validation', 'the version passed a validation gate')
    .option('--max-drift-share <share>', 'the latest monitor window drifts on at most this share of features')
    .option('--max-fairness <rule>', 'demographicParityDifference<=NUMBER (or equalizedOddsDifference) from the latest fairness report; repeatable', collectList, [])
    .action(async (model: string, o) => {
      const req: PromotionRulesInput = {
        minMetrics: (o.minMetric as string[]).map((t) => metricRule('--min-metric', t)),
        requireCard: o.requireCard ? String(o.requireCard).split(',').map((s) => s.trim()).filter(Boolean) : [],
        requireValidation: Boolean(o.requireValidation),
        maxDriftShare: o.maxDriftShare === undefined ? null : Number(o.maxDriftShare),
        maxFairness: (o.maxFairness as string[]).map((t) => {
          const r = metricRule('--max-fairness', t);
          if (r.op !== '<=') throw new CliError('--max-fairness must look like METRIC<=NUMBER', 2);
          return { metric: r.metric, threshold: r.threshold };
        }),
      };
      const stored = await client().rules.set(model, o.alias, req);
      if (o.json) return printJson(stored);
      process.stdout.write(`rules of ${model}@${stored.alias} set: ${describe(stored).join('; ')}\n`);
    });

  withJson(rules.command('show <model>'))
    .description('the promotion rules of a model, per alias')
    .action(async (model: string, o) => {
      const list = await client().rules.list(model);
      if (o.json) return printJson({ rules: list });
      if (list.length === 0) process.stdout.write(`${model} has no promotion rules\n`);
      for (const r of list) process.stdout.write(`${model}@${r.alias} (set by ${r.updatedBy} at ${r.updatedAt}):\n${describe(r).map((l) => `  ${l}\n`).join('')}`);
    });
}
