import type { Command } from 'commander';
import type { Model } from '../../contracts/index.js';
import { client, collectList, collectTag, positiveInt, tagEdits } from '../context.js';
import { formatTags, printFields, printJson, printTable, withJson } from '../output.js';

const row = (m: Model) => ({
  name: m.name,
  task: m.task,
  owner: m.owner,
  latest: m.latestVersion,
  aliases: Object.entries(m.aliases)
    .map(([a, v]) => `${a}=${v}`)
    .join(','),
  tags: formatTags(m.tags),
  updated: m.updatedAt,
});

export function showModel(m: Model): void {
  printFields({ ...row(m), description: m.description, created: m.createdAt });
}

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('create, list, show, update and delete models');

  withJson(models.command('create <name>'))
    .description('create a model')
    .requiredOption('--task <task>', 'binary-classification | multiclass-classification | regression')
    .option('--description <text>', 'what the model does', '')
    .option('--owner <owner>', 'owner (default: you)')
    .option('--tag <k=v>', 'tag, repeatable', collectTag, {})
    .action(async (name: string, o) => {
      const m = await client().models.create({ name, task: o.task, description: o.description, owner: o.owner, tags: o.tag });
      if (o.json) printJson(m);
      else process.stdout.write(`created model ${m.name}\n`);
    });

  withJson(models.command('list'))
    .description('list and search models')
    .option('--search <text>', 'name contains')
    .option('--tag <k[=v]>', 'has tag (repeatable, all must match)', collectList, [])
    .option('--owner <owner>')
    .option('--task <task>')
    .option('--order-by <field>', 'name | createdAt | updatedAt', 'name')
    .option('--desc', 'descending order')
    .option('--limit <n>', 'page size', '100')
    .option('--page-token <token>', 'continue from a previous page')
    .action(async (o) => {
      const page = await client().models.list({
        q: o.search,
        tag: o.tag,
        owner: o.owner,
        task: o.task,
        orderBy: o.orderBy,
        order: o.desc ? 'desc' : 'asc',
        pageSize: positiveInt('--limit', o.limit),
        pageToken: o.pageToken,
      });
      if (o.json) return printJson(page);
      printTable(page.models.map(row), ['name', 'task', 'owner', 'latest', 'aliases', 'tags', 'updated']);
      if (page.nextPageToken) process.stdout.write(`more: --page-token ${page.nextPageToken}\n`);
    });

  withJson(models.command('show <name>'))
    .description('show a model')
    .action(async (name: string, o) => {
      const m = await client().models.get(name);
      if (o.json) printJson(m);
      else showModel(m);
    });

  withJson(models.command('update <name>'))
    .description('update description, owner or tags')
    .option('--description <text>')
    .option('--owner <owner>')
    .option('--tag <k=v>', 'set a tag, repeatable', collectTag, {})
    .option('--remove-tag <k>', 'remove a tag, repeatable', collectList, [])
    .action(async (name: string, o) => {
      const m = await client().models.update(name, {
        description: o.description,
        owner: o.owner,
        tags: tagEdits(o.tag, o.removeTag),
      });
      if (o.json) printJson(m);
      else showModel(m);
    });

  models
    .command('delete <name>')
    .description('delete a model and all its versions (refused while aliases or deployments point at it)')
    .option('--reason <text>')
    .action(async (name: string, o) => {
      await client().models.delete(name, o.reason);
      process.stdout.write(`deleted model ${name}\n`);
    });
}
