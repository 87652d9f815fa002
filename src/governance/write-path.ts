import type { Kysely } from 'kysely';
import { appendOutbox, type OutboxRelay } from '../events/index.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { type Span, type TraceContext, traceparentOf, tracingOn, withSpan } from '../shared/tracing.js';
import type { AuditRecord, OutboxEvent, Permission, Write } from '../shared/write-seam.js';
import type { DB, Writes, WriteTx } from '../storage/index.js';
import { bumpChangeSeq } from '../storage/index.js';
import type { AccessControl } from './access.js';
import { appendAudit } from './audit-log.js';

const snapshot = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/**
 * The write seam over Sextant's database: authorize → transaction (the change, then its audit
 * events, the change sequence and its outbox rows) → publish after commit. See
 * `shared/write-seam.ts` for the contract.
 */
export class WritePath implements Writes {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly relay: OutboxRelay,
  ) {}

  authorize(by: Actor, permission: Permission): Promise<void> {
    return this.access.authorize(by, permission);
  }

  run<T>(write: Write<Kysely<DB>, T>): Promise<T> {
    if (!tracingOn()) return this.write(write);
    const p = write.permission;
    const attributes = { 'sextant.actor': write.by.actor, 'sextant.permission': p === 'internal' ? 'internal' : `${p.role}@${p.model ?? '*'}` };
    return withSpan(write.by.trace, 'sextant.write', attributes, (span, trace) => this.write(write, span, trace));
  }

  private async write<T>(write: Write<Kysely<DB>, T>, span?: Span, trace?: TraceContext): Promise<T> {
    await this.authorize(write.by, write.permission);
    const { by } = write;
    const now = this.clock.now();
    const time = now.toISOString();
    const { result, outbox } = await this.db.transaction().execute(async (trx) => {
      const audits: AuditRecord[] = [];
      const events: OutboxEvent[] = [];
      let changed = false;
      let open = true;
      const live = () => {
        if (!open) throw new AppError('internal', 'a write context was used after its write ended');
      };
      const ctx: WriteTx = {
        db: trx,
        now: time,
        by,
        // A snapshot, as the trail will hold it: the caller may go on changing the objects it passed.
        audit: (r) => (live(), void audits.push({ ...r, before: snapshot(r.before), after: snapshot(r.after) })),
        changed: () => (live(), void (changed = true)),
        emit: (e) => (live(), void events.push(e)),
      };
      try {
        const result = await write.apply(ctx);
        for (const r of audits) {
          await appendAudit(
            trx,
            {
              actor: r.actor ?? by.actor,
              requestId: r.requestId !== undefined ? r.requestId : (by.requestId ?? null),
              action: r.action,
              target: r.target,
              before: r.before,
              after: r.after,
              reason: r.reason,
            },
            time,
          );
        }
        if (changed) await bumpChangeSeq(trx);
        if (span) {
          span.setAttribute('sextant.audit.actions', audits.map((r) => r.action));
          span.setAttribute('sextant.events', events.map((e) => e.type));
          if (audits[0]) span.updateName(`sextant.write ${audits[0].action}`);
        }
        return { result, outbox: await appendOutbox(trx, events, now, this.relay.claimMs) };
      } finally {
        open = false;
      }
    });
    // Subscribers (webhooks among them) continue the write's trace; the traceparent travels with
    // the events this process publishes, not with the outbox rows a sweep may republish.
    const traceparent = traceparentOf(trace);
    if (traceparent) for (const e of outbox) e.event.traceparent = traceparent;
    await this.relay.publish(outbox);
    return result;
  }
}
