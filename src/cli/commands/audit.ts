import fs from 'node:fs';
import type { Command } from 'commander';
import { publicKeyFromFile, verifyAuditPack } from '../../governance/audit-pack-verify.js';
import { CliError } from '../cli-error.js';
import { client, positiveInt } from '../context.js';
import { printJson, printTable, withJson } from '../output.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('list and verify the hash-chained audit trail');

  withJson(audit.command('list'))
    .description('list audit events')
    .option('--target <target>', 'e.g. model:fraud or model:fraud* for a prefix')
    .option('--actor <actor>')
    .option('--action <action>', 'e.g. alias.set')
    .option('--since <time>', 'ISO 8601 time')
    .option('--until <time>', 'ISO 8601 time')
    .option('--limit <n>', 'page size', '100')
    .option('--page-token <token>')
    .action(async (o) => {
      const page = await client().audit.list({
        target: o.target,
        actor: o.actor,
        action: o.action,
        since: o.since,
        until: o.until,
        pageSize: positiveInt('--limit', o.limit),
        pageToken: o.pageToken,
      });
      if (o.json) return printJson(page);
      printTable(
        page.events.map((e) => ({ seq: e.seq, time: e.time, actor: e.actor, action: e.action, target: e.target, reason: e.reason, hash: e.hash.slice(0, 12) })),
        ['seq', 'time', 'actor', 'action', 'target', 'reason', 'hash'],
      );
      if (page.nextPageToken) process.stdout.write(`more: --page-token ${page.nextPageToken}\n`);
    });

  withJson(audit.command('verify'))
    .description('walk the hash chain and report the first broken link (exit 1 when broken)')
    .action(async (o) => {
      const r = await client().audit.verify();
      if (o.json) printJson(r);
      else if (r.ok) process.stdout.write(`audit chain intact: ${r.checked} events verified (head ${r.headSeq})\n`);
      else process.stdout.write(`audit chain BROKEN at event ${r.firstBroken!.seq}: ${r.firstBroken!.reason} (${r.checked} events verified before it)\n`);
      if (!r.ok) process.exitCode = 1;
    });

  audit
    .command('export')
    .description('write a signed audit pack of a model (or one version) that `audit verify-pack` checks offline')
    .argument('<model>')
    .option('--version <n>', 'only this version, its ancestors and its approvals')
    .requiredOption('--output <path>', 'where to write the pack (JSON)')
    .action(async (model: string, o) => {
      const version = o.version === undefined ? undefined : positiveInt('--version', o.version);
      // Written as received: the signature covers the server's JSON, not a re-encoding of it.
      const text = await client().audit.pack(model, { version });
      writeFile(o.output, text);
      const body = (JSON.parse(text) as { body: { versions: unknown[]; approvals: unknown[]; audit: { events: unknown[] } } }).body;
      process.stdout.write(
        `wrote ${o.output}: ${count(body.versions.length, 'version')}, ${count(body.approvals.length, 'approval')}, ${count(body.audit.events.length, 'audit event')} (${Buffer.byteLength(text)} bytes)\n`,
      );
    });

  withJson(audit.command('public-key'))
    .description("print the server's audit signing key (PEM), or save it with --output for verify-pack --public-key")
    .option('--output <path>', 'write the PEM to this file')
    .action(async (o) => {
      const key = await client().audit.publicKey();
      if (o.output) {
        writeFile(o.output, key.publicKey);
        process.stdout.write(`wrote ${o.output} (Ed25519 key ${key.keyId})\n`);
      } else if (o.json) printJson(key);
      else process.stdout.write(key.publicKey);
    });

  withJson(audit.command('verify-pack'))
    .description('check an audit pack offline: every item against its signed digest, every event hash and link, the signature (exit 1 when broken)')
    .argument('<pack>', 'the file `audit export` wrote')
    .option('--public-key <file>', "the server's public key (PEM, or the JSON of GET /api/v1/audit/public-key); without it the key inside the pack is used, which proves integrity but not who signed")
    .action((file: string, o) => {
      const pack = readJson(file, 'pack');
      let publicKeyPem: string | undefined;
      if (o.publicKey) {
        try {
          publicKeyPem = publicKeyFromFile(readText(o.publicKey, '--public-key'));
        } catch (err) {
          if (err instanceof CliError) throw err;
          throw new CliError(`--public-key ${o.publicKey}: ${(err as Error).message}`);
        }
      }
      const v = verifyAuditPack(pack, { publicKeyPem });
      if (o.json) printJson(v);
      else if (v.ok) {
        const key = v.keyPinned ? `signed by the given key ${v.keyId}` : `signed by key ${v.keyId}, the one the pack carries (pass --public-key to check who signed)`;
        process.stdout.write(
          `audit pack intact: model ${v.model}, ${v.items} items match their signed digests, ${v.events} audit events hashed and linked (${v.subjectEvents} of the model), ${key}\n`,
        );
      } else process.stdout.write(`audit pack BROKEN at ${v.firstBroken!.item}: ${v.firstBroken!.reason}\n`);
      if (!v.ok) process.exitCode = 1;
    });
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${what} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function readJson(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what} ${file}: not valid JSON (${(err as Error).message})`, 1);
  }
}

function writeFile(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (err) {
    throw new CliError(`--output ${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
