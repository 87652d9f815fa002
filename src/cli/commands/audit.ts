import type { Command } from 'commander';
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
}
