import type { Command } from 'commander';
import type { KpiInput, ModelKpi } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client } from '../context.js';
import { printJson } from '../output.js';
import { withJson } from '../output.js';

const OUTCOMES = new Set(['tp', 'fp', 'fn', 'tn']);

const collect = (v: string, all: string[] = []) => [...all, v];

function number(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag} ${v}: expected a number`);
  return n;
}

/**
 * `--value` flags as a KPI: `OUTCOME=NUMBER` (binary classifiers, the positive class) or
 * `CLASS:OUTCOME=NUMBER` (multiclass, one-vs-rest per class; the class is everything before the
 * last colon), OUTCOME one of tp, fp, fn, tn. Outcomes not given are worth 0.
 */
export function parseValueFlags(values: readonly string[]): Pick<KpiInput, 'outcomes' | 'classes'> {
  const outcomes: Record<string, number> = {};
  const classes: Record<string, Record<string, number>> = {};
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const key = eq < 0 ? '' : v.slice(0, eq);
    const colon = key.lastIndexOf(':');
    const outcome = key.slice(colon + 1);
    if (eq < 0 || !OUTCOMES.has(outcome) || colon === 0) throw new CliError(`--value ${v}: expected [CLASS:]OUTCOME=NUMBER with OUTCOME one of tp, fp, fn, tn`);
    const n = number('--value', v.slice(eq + 1));
    if (colon < 0) outcomes[outcome] = n;
    else (classes[key.slice(0, colon)] ??= {})[outcome] = n;
  }
  const some = (o: object) => Object.keys(o).length > 0;
  if (some(outcomes) && some(classes)) throw new CliError('--value: give either OUTCOME=NUMBER (binary) or CLASS:OUTCOME=NUMBER (multiclass), not both');
  return { ...(some(outcomes) ? { outcomes } : {}), ...(some(classes) ? { classes } : {}) };
}

/** A KPI in one line: what each outcome is worth, what an error costs, what a CPU-hour costs. */
export function describeKpi(k: ModelKpi): string {
  const s = k.spec;
  const out = (o: Record<string, number>) => ['tp', 'fp', 'fn', 'tn'].map((x) => `${x} ${o[x]}`).join(', ');
  const parts: string[] = [];
  if (s.outcomes) parts.push(out(s.outcomes));
  if (s.classes) parts.push(...Object.entries(s.classes).map(([c, o]) => `${c}: ${out(o)}`));
  if (s.absErrorCost !== undefined) parts.push(`${s.absErrorCost} per unit of absolute error`);
  if (s.computePrice !== undefined) parts.push(`${s.computePrice} per CPU-hour`);
  return parts.join('; ') || 'nothing valued';
}

export function registerKpiCommands(program: Command): void {
  const kpi = program.command('kpi').description("a model's business value: what its outcomes are worth, what serving costs");
  withJson(kpi.command('set <model>'))
    .description('replace the business value KPI of a model')
    .option('--value <[class:]outcome=number>', 'value of an outcome (tp, fp, fn, tn); CLASS:OUTCOME=N per class for multiclass (repeatable)', collect)
    .option('--abs-error-cost <number>', 'regression: cost of one unit of absolute error')
    .option('--compute-price <number>', 'price of one CPU-hour of serving')
    .action(async (model: string, o: { value?: string[]; absErrorCost?: string; computePrice?: string; json?: boolean }) => {
      const spec: KpiInput = { ...parseValueFlags(o.value ?? []) };
      if (o.absErrorCost !== undefined) spec.absErrorCost = number('--abs-error-cost', o.absErrorCost);
      if (o.computePrice !== undefined) spec.computePrice = number('--compute-price', o.computePrice);
      if (Object.keys(spec).length === 0) throw new CliError('nothing to set: give --value, --abs-error-cost or --compute-price');
      const k = await client().kpi.set(model, spec);
      if (o.json) printJson(k);
      else process.stdout.write(`business value of ${model} set: ${describeKpi(k)}\n`);
    });
  withJson(kpi.command('show <model>'))
    .description('the business value KPI of a model')
    .action(async (model: string, o: { json?: boolean }) => {
      const k = await client().kpi.get(model);
      if (o.json) printJson(k);
      else process.stdout.write(`${model} (${k.task}): ${describeKpi(k)}; set by ${k.updatedBy} at ${k.updatedAt}\n`);
    });
}
