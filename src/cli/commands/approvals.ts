import type { Command } from 'commander';
import type { Approval } from '../../contracts/index.js';
import { ApprovalStatus } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client } from '../context.js';
import { printFields, printJson, printTable, withJson } from '../output.js';

function showApproval(a: Approval): void {
  printFields({
    id: a.id,
    status: a.status,
    move: `${a.model}@${a.alias}: ${a.fromVersion ?? '(none)'} -> ${a.version}`,
    action: a.action,
    requestedBy: a.requestedBy,
    requestedAt: a.requestedAt,
    versionAuthor: a.versionAuthor,
    reason: a.reason,
    approvals: `${a.approvals.length} of ${a.required}${a.approvals.length ? `: ${a.approvals.map((v) => v.approver).join(', ')}` : ''}`,
    rejectedBy: a.rejectedBy ? `${a.rejectedBy.approver}${a.rejectedBy.reason ? ` (${a.rejectedBy.reason})` : ''}` : null,
    expiresAt: a.expiresAt,
    decidedAt: a.decidedAt,
    decision: a.decisionReason,
  });
  if (a.rules) {
    process.stdout.write(`rules (${a.rules.passed ? 'all pass' : 'FAIL'}):\n`);
    for (const r of a.rules.results) process.stdout.write(`  ${r.passed ? 'pass' : 'FAIL'}  ${r.rule}: ${r.message}\n`);
  }
}

/** `sextant approvals list|show|approve|reject`: four-eyes decisions on protected alias moves. */
export function registerApprovalCommands(program: Command): void {
  const approvals = program.command('approvals').description('list, show, approve and reject requests to move protected aliases');

  withJson(approvals.command('list'))
    .description('approval requests, newest first')
    .option('--model <model>')
    .option('--status <status>', ApprovalStatus.options.join(' | '))
    .action(async (o) => {
      if (o.status !== undefined && !ApprovalStatus.safeParse(o.status).success) throw new CliError(`--status must be one of ${ApprovalStatus.options.join(', ')}`, 2);
      const list = await client().approvals.list({ model: o.model, status: o.status });
      if (o.json) return printJson({ approvals: list });
      printTable(
        list.map((a) => ({ id: a.id, status: a.status, model: a.model, alias: a.alias, move: `${a.fromVersion ?? '-'} -> ${a.version}`, approvals: `${a.approvals.length}/${a.required}`, requestedBy: a.requestedBy, expires: a.expiresAt })),
        ['id', 'status', 'model', 'alias', 'move', 'approvals', 'requestedBy', 'expires'],
      );
    });

  withJson(approvals.command('show <id>'))
    .description('one request: the move, its approvers, the rule evaluation')
    .action(async (id: string, o) => {
      const a = await client().approvals.get(id);
      if (o.json) printJson(a);
      else showApproval(a);
    });

  for (const decision of ['approve', 'reject'] as const) {
    withJson(approvals.command(`${decision} <id>`))
      .description(decision === 'approve' ? 'approve (not your own request, nor a version you wrote); the last approval needed moves the alias' : 'reject; the alias stays')
      .option('--reason <text>')
      .action(async (id: string, o) => {
        const a = decision === 'approve' ? await client().approvals.approve(id, o.reason) : await client().approvals.reject(id, o.reason);
        if (o.json) return printJson(a);
        if (a.status === 'approved') process.stdout.write(`approval ${a.id} approved: ${a.model}@${a.alias} -> ${a.version}\n`);
        else if (a.status === 'pending') process.stdout.write(`approval ${a.id}: ${a.approvals.length} of ${a.required} approvals\n`);
        else process.stdout.write(`approval ${a.id} ${a.status}\n`);
      });
  }
}
