import type { App } from '../../src/app.js';

export interface ApprovalRecord {
  id: string;
  model: string;
  alias: string;
  version: number;
  fromVersion: number | null;
  requestedBy: string;
  versionAuthor: string;
  votes: Array<{ approver: string; decision: 'approve' | 'reject'; reason: string | null }>;
  status: 'pending' | 'approved' | 'rejected';
  rules?: unknown;
}

/**
 * Records an approval request, its votes and its decision as the approvals service does: each
 * step one write through the write path, with its row and its `approval.*` audit event.
 */
export async function recordApproval(app: App, a: ApprovalRecord): Promise<void> {
  const target = `approval:${a.id}`;
  await app.writes.run({
    by: { actor: a.requestedBy },
    permission: 'internal',
    apply: async (tx) => {
      await tx.db
        .insertInto('approvals')
        .values({
          id: a.id,
          model: a.model,
          alias: a.alias,
          version: a.version,
          from_version: a.fromVersion,
          action: 'alias.set',
          input: JSON.stringify({ version: a.version }),
          reason: 'promote',
          status: 'pending',
          required: a.votes.length,
          requested_by: a.requestedBy,
          request_id: null,
          version_author: a.versionAuthor,
          rules: a.rules === undefined ? null : JSON.stringify(a.rules),
          created_at: tx.now,
          expires_at: new Date(Date.parse(tx.now) + 72 * 3_600_000).toISOString(),
          decided_at: null,
          decision_reason: null,
        })
        .execute();
      tx.audit({ action: 'approval.request', target, after: { id: a.id, model: a.model, alias: a.alias, version: a.version } });
    },
  });
  for (const v of a.votes) {
    await app.writes.run({
      by: { actor: v.approver },
      permission: 'internal',
      apply: async (tx) => {
        await tx.db.insertInto('approval_votes').values({ approval_id: a.id, approver: v.approver, decision: v.decision, reason: v.reason, at: tx.now }).execute();
        tx.audit({ action: `approval.${v.decision}`, target, reason: v.reason });
      },
    });
  }
  if (a.status === 'pending') return;
  await app.writes.run({
    by: { actor: a.votes[a.votes.length - 1]?.approver ?? a.requestedBy },
    permission: 'internal',
    apply: async (tx) => {
      await tx.db.updateTable('approvals').set({ status: a.status, decided_at: tx.now, decision_reason: a.status }).where('id', '=', a.id).execute();
      tx.audit({ action: `approval.${a.status}`, target, after: { model: a.model, alias: a.alias, version: a.version, status: a.status } });
    },
  });
}
