import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import type { ModelVersion } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client, collectList, collectTag, parseRef, positiveInt, tagEdits } from '../context.js';
import { formatTags, printFields, printJson, printTable, withJson } from '../output.js';

const row = (v: ModelVersion) => ({
  version: v.version,
  format: v.format,
  status: v.status,
  aliases: v.aliases.join(','),
  digest: v.digest.slice(0, 12),
  size: v.size,
  author: v.author,
  created: v.createdAt,
});

function showVersion(v: ModelVersion): void {
  printFields({
    model: v.model,
    ...row(v),
    digest: v.digest,
    description: v.description,
    tags: formatTags(v.tags),
    params: v.params,
    metrics: v.metrics,
    lineage: v.lineage,
    signature: v.signature ? v.signature.inputs.map((i) => `${i.name}:${i.type}`).join(', ') : null,
  });
}

export function registerVersionCommands(program: Command): void {
  const versions = program.command('versions').description('list, show, update and download versions');

  withJson(versions.command('list <model>'))
    .description('list versions of a model, newest first')
    .option('--status <status>', 'active | deprecated | archived')
    .option('--limit <n>', 'page size', '100')
    .option('--page-token <token>')
    .action(async (model: string, o) => {
      const page = await client().versions.list(model, { status: o.status, pageSize: positiveInt('--limit', o.limit), pageToken: o.pageToken });
      if (o.json) return printJson(page);
      printTable(page.versions.map(row), ['version', 'format', 'status', 'aliases', 'digest', 'size', 'author', 'created']);
      if (page.nextPageToken) process.stdout.write(`more: --page-token ${page.nextPageToken}\n`);
    });

  withJson(versions.command('show <ref>'))
    .description('show MODEL/N, MODEL@ALIAS or MODEL@latest')
    .action(async (ref: string, o) => {
      const r = parseRef(ref);
      const v = await client().versions.get(r.model, r.ref);
      if (o.json) printJson(v);
      else showVersion(v);
    });

  withJson(versions.command('update <ref>'))
    .description('change the description, tags or status of MODEL/N')
    .option('--description <text>')
    .option('--status <status>', 'active | deprecated | archived')
    .option('--tag <k=v>', 'set a tag, repeatable', collectTag, {})
    .option('--remove-tag <k>', 'remove a tag, repeatable', collectList, [])
    .option('--pii <feature>', 'mark a signature input as personal data (the log keeps a keyed hash), repeatable', collectList, [])
    .option('--not-pii <feature>', 'unmark a personal-data input, repeatable', collectList, [])
    .action(async (ref: string, o) => {
      const r = parseRef(ref);
      if (!/^\d+$/.test(r.ref)) throw new CliError(`${ref}: versions update needs MODEL/N`);
      const marks: Record<string, boolean> = { ...Object.fromEntries((o.notPii as string[]).map((f) => [f, false])), ...Object.fromEntries((o.pii as string[]).map((f) => [f, true])) };
      const v = await client().versions.update(r.model, Number(r.ref), {
        description: o.description,
        status: o.status,
        tags: tagEdits(o.tag, o.removeTag),
        pii: Object.keys(marks).length ? marks : undefined,
      });
      if (o.json) printJson(v);
      else showVersion(v);
    });

  versions
    .command('download <ref>')
    .description('download the artifact of MODEL/N or MODEL@ALIAS and check its digest')
    .requiredOption('--output <path>', 'where to write it')
    .action(async (ref: string, o) => {
      const r = parseRef(ref);
      const a = await client().versions.artifact(r.model, r.ref);
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk, _e, cb) {
          hash.update(chunk as Buffer);
          cb(null, chunk);
        },
      });
      await pipeline(a.stream, tap, fs.createWriteStream(o.output));
      const actual = hash.digest('hex');
      if (a.digest && actual !== a.digest) {
        fs.rmSync(o.output, { force: true });
        throw new CliError(`downloaded bytes hash to ${actual}, expected ${a.digest}; file removed`, 1);
      }
      process.stdout.write(`wrote ${o.output} (${a.size} bytes, sha256 ${actual})\n`);
    });
}
