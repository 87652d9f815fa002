import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { AuditPackApproval, AuditPackBody } from '../contracts/audit-pack.js';
import type { AuditEvent } from '../contracts/audit.js';
import type { DB } from '../storage/index.js';
import { escapeLike, like } from '../storage/index.js';
import { toEvent } from './audit-log.js';

const PAGE = 1000;

const parsed = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/**
 * A model's approval requests (of some versions, or all) with every vote, oldest first, read
 * straight from the `approvals` and `approval_votes` tables (migration 012).
 */
export async function readApprovals(db: Kysely<DB>, model: string, versions: readonly number[] | null): Promise<AuditPackApproval[]> {
  if (versions !== null && versions.length === 0) return [];
  let sel = db.selectFrom('approvals').selectAll().where('model', '=', model);
  if (versions !== null) sel = sel.where('version', 'in', [...versions]);
  const rows = await sel.orderBy('created_at').orderBy('id').execute();
  if (rows.length === 0) return [];
  const votes = await db
    .selectFrom('approval_votes')
    .selectAll()
    .where('approval_id', 'in', rows.map((r) => r.id))
    .orderBy('at')
    .orderBy('approver')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    model: r.model,
    alias: r.alias,
    version: Number(r.version),
    fromVersion: r.from_version === null ? null : Number(r.from_version),
    action: r.action,
    status: r.status,
    required: Number(r.required),
    requestedBy: r.requested_by,
    requestId: r.request_id,
    versionAuthor: r.version_author,
    reason: r.reason,
    rules: parsed(r.rules),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedAt: r.decided_at,
    decisionReason: r.decision_reason,
    votes: votes.filter((v) => v.approval_id === r.id).map((v) => ({ approver: v.approver, decision: v.decision, reason: v.reason, at: v.at })),
  }));
}

/** A model's protected aliases and promotion rules as they stand, from migration 012's tables. */
export async function readAliasGuards(db: Kysely<DB>, model: string): Promise<Pick<AuditPackBody, 'protections' | 'rules'>> {
  const [protections, rules] = await Promise.all([
    db.selectFrom('protected_aliases').selectAll().where('model', '=', model).orderBy('alias').execute(),
    db.selectFrom('promotion_rules').selectAll().where('model', '=', model).orderBy('alias').execute(),
  ]);
  return {
    protections: protections.map((r) => ({
      alias: r.alias,
      approvals: Number(r.approvals),
      ttlSeconds: Number(r.ttl_seconds),
      protectedBy: r.protected_by,
      protectedAt: r.protected_at,
    })),
    rules: rules.map((r) => ({ alias: r.alias, rules: parsed(r.rules), updatedBy: r.updated_by, updatedAt: r.updated_at })),
  };
}

/** Rows whose target is one of `targets` (exact, or a prefix ending in `*`). */
function targetFilter(targets: readonly string[]) {
  return (eb: ExpressionBuilder<DB, 'audit_events'>): Expression<SqlBool> =>
    eb.or(targets.map((t) => (t.endsWith('*') ? like('target', `${escapeLike(t.slice(0, -1))}%`) : eb('target', '=', t))));
}

/**
 * The stretch of the audit chain from the first event of `targets` to the last, every event in
 * between included, and the head as it stands. Events are appended under the head's lock, so every
 * event up to the last one found is already committed.
 */
export async function readChainSegment(db: Kysely<DB>, targets: readonly string[]): Promise<Omit<AuditPackBody['audit'], 'targets'>> {
  const bounds = await db
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .where(targetFilter(targets))
    .executeTakeFirst();
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  const headPoint = { seq: Number(head.seq), hash: head.hash };
  if (bounds?.first === null || bounds?.first === undefined || bounds.last === null) return { range: null, head: headPoint, events: [] };
  const first = Number(bounds.first);
  const last = Number(bounds.last);
  const events: AuditEvent[] = [];
  for (let from = first; from <= last; from += PAGE) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>=', from)
      .where('seq', '<=', Math.min(last, from + PAGE - 1))
      .orderBy('seq')
      .execute();
    events.push(...rows.map(toEvent));
  }
  const firstEvent = events[0];
  const lastEvent = events[events.length - 1];
  if (!firstEvent || !lastEvent) return { range: null, head: headPoint, events: [] };
  return {
    range: { first: { seq: firstEvent.seq, hash: firstEvent.hash }, last: { seq: lastEvent.seq, hash: lastEvent.hash }, prevHash: firstEvent.prevHash },
    head: headPoint,
    events,
  };
}
