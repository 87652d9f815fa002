import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import yaml from 'js-yaml';
import type { CardFields } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client, parseRef, positiveInt } from '../context.js';
import { printJson, printFields, withJson } from '../output.js';

/** Reads card.yaml or card.json, naming the file when it cannot. */
function readCardFile(file: string): CardFields {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const ext = path.extname(file).toLowerCase();
  try {
    const doc = ext === '.json' ? JSON.parse(text) : yaml.load(text, { schema: yaml.JSON_SCHEMA });
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a mapping of card fields');
    return doc as CardFields;
  } catch (err) {
    throw new CliError(`--file ${file}: not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message})`);
  }
}

export function registerCardCommands(program: Command): void {
  const card = program.command('card').description('model cards: filled in from what Sextant records, plus the fields people write');

  card
    .command('show <model@version>')
    .description('a version’s model card, current now (MODEL@ALIAS, MODEL/N, or MODEL for the latest)')
    .option('--format <format>', 'json | md | html', 'json')
    .option('--output <file>', 'write the card to a file instead of standard output')
    .action(async (ref: string, o) => {
      if (!['json', 'md', 'html'].includes(o.format)) throw new CliError(`--format ${o.format}: expected json, md or html`);
      const api = client();
      const { model, ref: r } = parseRef(ref);
      const v = await api.versions.get(model, r);
      const text = o.format === 'json' ? `${JSON.stringify(await api.versions.card(model, v.version), null, 2)}\n` : await api.versions.cardText(model, v.version, o.format);
      if (o.output) {
        fs.writeFileSync(o.output, text);
        process.stderr.write(`wrote the card of ${model} version ${v.version} to ${o.output}\n`);
      } else process.stdout.write(text);
    });

  withJson(card.command('edit <model>'))
    .description('set the human fields (overview, owners, licenses, intendedUse, users, limitations, tradeoffs, ethicalConsiderations, references, …) from YAML or JSON; null removes a field')
    .requiredOption('--file <file>', 'card.yaml or card.json')
    .option('--version <n>', 'this version only (over the model’s fields)')
    .action(async (model: string, o) => {
      const fields = readCardFile(o.file);
      const version = o.version === undefined ? undefined : positiveInt('--version', o.version);
      const stored = await client().versions.editCard(model, fields, version);
      if (o.json) return printJson(stored);
      process.stdout.write(`card of ${model}${version === undefined ? '' : ` version ${version}`} updated\n`);
      printFields(Object.fromEntries(Object.entries(stored).map(([k, val]) => [k, Array.isArray(val) ? `${val.length} item(s)` : val])));
    });
}
