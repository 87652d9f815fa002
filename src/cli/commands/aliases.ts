import type { Command } from 'commander';
import type { Alias } from '../../contracts/index.js';
import { client, positiveInt } from '../context.js';
import { printJson, printTable, withJson } from '../output.js';

const row = (a: Alias) => ({ alias: a.alias, version: a.version, previous: a.previousVersion, updated: a.updatedAt, by: a.updatedBy });

export function registerAliasCommands(program: Command): void {
  const alias = program.command('alias').description('set, delete and list aliases');

  withJson(alias.command('set <model> <alias> <version>'))
    .description('point ALIAS of MODEL at VERSION')
    .option('--reason <text>', 'why (recorded)')
    .action(async (model: string, name: string, version: string, o) => {
      const a = await client().aliases.set(model, name, positiveInt('VERSION', version), o.reason);
      if (o.json) printJson(a);
      else process.stdout.write(`${model}@${a.alias} -> ${a.version}${a.previousVersion ? ` (was ${a.previousVersion})` : ''}\n`);
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
