import { sql, type Kysely } from 'kysely';
import type { AuditEvent, AuditPage, AuditVerifyResult, ListAuditQuery } from '../contracts/audit.js';
import { ListAuditQuery as ListAuditQuerySchema } from '../contracts/audit.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { decodePageToken, encodePageToken } from '../shared/page-token.js';
import { parseInput } from '../shared/parse.js';
import type { AuditEventsTable, DB } from '../storage/index.js';
import { escapeLike, GENESIS_HASH, like } from '../storage/index.js';
import { chainHash } from './audit-hash.js';

export { chainHash } from './audit-hash.js';

/** What a state change tells the audit trail; seq, hashes and time are filled in by the log. */
export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  requestId?: string | null;
}

const toJsonText = (v: unknown): string | null => (v === undefined || v === null ? null : canonicalJson(v));
const fromJsonText = (v: string | null): unknown => (v === null ? null : JSON.parse(v));

/** An audit event as stored (JSON text columns) in the contract's shape. */
export function toEvent(r: AuditEventsTable): AuditEvent {
  return {
    seq: Number(r.seq),
    time: r.time,
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: fromJsonText(r.before),
    after: fromJsonText(r.after),
    reason: r.reason,
    requestId: r.request_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Appends one event to the hash chain inside the caller's transaction, so the state change and its
 * audit record commit together. The head row is locked first, which serialises appenders on
 * PostgreSQL and SQLite alike and keeps the chain linear.
 */
export async function appendAudit(trx: Kysely<DB>, entry: AuditEntry, time: string): Promise<AuditEvent> {
  const bumped = await trx
    .updateTable('audit_head')
    .set({ seq: sql`seq + 1` })
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const event = {
    seq: Number(bumped.seq),
    time,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    before: entry.before ?? null,
    after: entry.after ?? null,
    reason: entry.reason ?? null,
    requestId: entry.requestId ?? null,
  };
  const prevHash = bumped.hash;
  const hash = chainHash(prevHash, event);
  await trx.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
  await trx
    .insertInto('audit_events')
    .values({
      seq: event.seq,
      time,
      actor: event.actor,
      action: event.action,
      target: event.target,
      before: toJsonText(event.before),
      after: toJsonText(event.after),
      reason: event.reason,
      request_id: event.requestId,
      prev_hash: prevHash,
      hash,
    })
    .execute();
  return { ...event, prevHash, hash };
}

/** Reads and verifies the audit trail. */
export class AuditLog {
  constructor(private readonly db: Kysely<DB>) {}

  /** Events in sequence order (or newest first), filtered by target (exact or `prefix*`), actor, action and time. */
  async list(query: ListAuditQuery): Promise<AuditPage> {
    const q = parseInput(ListAuditQuerySchema, query, 'query');
    const cursor = decodePageToken(q.pageToken);
    let sel = this.db.selectFrom('audit_events').selectAll();
    if (q.target) {
      sel = q.target.endsWith('*')
        ? sel.where(like('target', `${escapeLike(q.target.slice(0, -1))}%`))
        : sel.where('target', '=', q.target);
    }
    if (q.actor) sel = sel.where('actor', '=', q.actor);
    if (q.action) sel = sel.where('action', '=', q.action);
    if (q.since) sel = sel.where('time', '>=', new Date(q.since).toISOString());
    if (q.until) sel = sel.where('time', '<', new Date(q.until).toISOString());
    if (cursor) sel = sel.where('seq', q.order === 'desc' ? '<' : '>', Number(cursor.k));
    const rows = await sel.orderBy('seq', q.order).limit(q.pageSize + 1).execute();
    const page = rows.slice(0, q.pageSize).map(toEvent);
    const last = page[page.length - 1];
    return {
      events: page,
      nextPageToken: rows.length > q.pageSize && last ? encodePageToken({ k: last.seq, id: last.seq }) : null,
    };
  }

  /**
   * Walks the whole chain: sequence numbers must be contiguous from 1, each prevHash must equal the
   * previous hash, each hash must recompute, and the head must match the last event. Reports the
   * first broken link, so an edited, inserted or deleted row is found.
   */
  async verify(): Promise<AuditVerifyResult> {
    const head = await this.db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    const headSeq = Number(head.seq);
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let checked = 0;
    const broken = (seq: number, reason: string): AuditVerifyResult => ({ ok: false, checked, headSeq, firstBroken: { seq, reason } });
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq', 'asc')
        .limit(1000)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) return broken(expectedSeq, `event ${expectedSeq} is missing (next present is ${seq})`);
        if (row.prev_hash !== prevHash) return broken(seq, `prevHash does not match the hash of event ${seq - 1}`);
        let event: AuditEvent;
        try {
          event = toEvent(row);
        } catch {
          return broken(seq, 'before/after is not valid JSON');
        }
        if (chainHash(prevHash, event) !== row.hash) return broken(seq, 'hash does not match the event contents (edited)');
        prevHash = row.hash;
        expectedSeq += 1;
        checked += 1;
      }
    }
    if (checked !== headSeq) {
      return broken(checked + 1, `the chain ends at ${checked} but the head says ${headSeq} (events deleted from the end)`);
    }
    if (head.hash !== prevHash) return broken(headSeq, 'the head hash does not match the last event');
    return { ok: true, checked, headSeq, firstBroken: null };
  }
}
