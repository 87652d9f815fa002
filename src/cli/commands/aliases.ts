import type { Command } from 'commander';
import type { Alias } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client, positiveInt } from '../context.js';
import { printIfRequested, printJson, printTable, withJson } from '../output.js';

/** `72h`, `30m`, `3d`, `90s` or plain seconds. */
export function durationSeconds(flag: string, value: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new CliError(`${flag} must be a duration such as 72h, 30m, 3d or seconds, got ${JSON.stringify(value)}`, 2);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

const row = (a: Alias) => ({ alias: a.alias, version: a.version, previous: a.previousVersion, updated: a.updatedAt, by: a.updatedBy });

export function registerAliasCommands(program: Command): void {
  const alias = program.command('alias').description('set, delete and list aliases');

  withJson(alias.command('set <model> <alias> <version>'))
    .description('point ALIAS of MODEL at VERSION')
    .option('--reason <text>', 'why (recorded)')
    .action(async (model: string, name: string, version: string, o) => {
      const a = await client().aliases.set(model, name, positiveInt('VERSION', version), o.reason);
      if (printIfRequested(a, o.json) || 'approval' in a) return;
      if (o.json) printJson(a);
      else process.stdout.write(`${model}@${a.alias} -> ${a.version}${a.previousVersion ? ` (was ${a.previousVersion})` : ''}\n`);
    });

  withJson(alias.command('protect <model> <alias>'))
    .description('protect ALIAS: every move (alias set, rollback, deploy promote, automated promotion) waits for approvals (admin)')
    .option('--approvals <n>', 'distinct approvers a move needs', '1')
    .option('--ttl <duration>', 'how long a request stays open, e.g. 72h, 30m, 3d', '72h')
    .action(async (model: string, name: string, o) => {
      const p = await client().protections.protect(model, name, { approvals: positiveInt('--approvals', o.approvals), ttlSeconds: durationSeconds('--ttl', o.ttl) });
      if (o.json) printJson(p);
      else process.stdout.write(`${model}@${p.alias} is protected: a move needs ${p.approvals} approval(s); requests expire after ${p.ttlSeconds / 3600} h\n`);
    });

  alias
    .command('unprotect <model> <alias>')
    .description('let ALIAS move without approvals again (admin); open requests stay open')
    .action(async (model: string, name: string) => {
      await client().protections.unprotect(model, name);
      process.stdout.write(`${model}@${name} is no longer protected\n`);
    });

  alias
    .command('delete <model> <alias>')
    .description('delete an alias')
    .option('--reason <text>')
    .action(async (model: string, name: string, o) => {
      await client().aliases.delete(model, name, o.reason);
      process.stdout.write(`deleted ${model}@${name}\n`);
    });

  withJson(alias.command('list <model>'))
    .description('list the aliases of a model')
    .action(async (model: string, o) => {
      const list = await client().aliases.list(model);
      if (o.json) printJson({ aliases: list });
      else printTable(list.map(row), ['alias', 'version', 'previous', 'updated', 'by']);
    });

  withJson(program.command('rollback <model>'))
    .description('move an alias back to the version it held before')
    .requiredOption('--alias <alias>', 'which alias, e.g. champion')
    .option('--reason <text>')
    .action(async (model: string, o) => {
      const a = await client().aliases.rollback(model, o.alias, o.reason);
      if (printIfRequested(a, o.json) || 'approval' in a) return;
      if (o.json) printJson(a);
      else process.stdout.write(`${model}@${a.alias} -> ${a.version}\n`);
    });

  withJson(program.command('history <model>'))
    .description('which version each alias held over time ("what served when")')
    .option('--alias <alias>', 'only this alias')
    .action(async (model: string, o) => {
      const h = await client().aliases.history(model, o.alias);
      if (o.json) return printJson(h);
      printTable(
        h.periods.map((p) => ({ alias: p.alias, version: p.version ?? '(deleted)', from: p.from, to: p.to ?? 'now', action: p.action, by: p.actor, reason: p.reason })),
        ['alias', 'version', 'from', 'to', 'action', 'by', 'reason'],
      );
    });
}
