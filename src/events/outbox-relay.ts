import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { periodic } from '../shared/periodic.js';
import type { OutboxEvent } from '../shared/write-seam.js';
import type { DB, OutboxTable } from '../storage/index.js';
import type { EventBus, SextantEvent } from './event-bus.js';

/** How long the process that wrote outbox rows has to publish them before a sweep takes them over. */
export const OUTBOX_CLAIM_MS = 60_000;

/** Published rows are kept this long (for inspection), then deleted by the sweep. */
const RETAIN_PUBLISHED_MS = 24 * 3_600_000;

/** One outbox row as the relay hands it to the bus. */
export interface OutboxEntry {
  id: number;
  event: SextantEvent;
}

/**
 * Writes events as outbox rows inside the caller's transaction, so they commit or vanish with the
 * change. The rows are claimed by the writer for `OUTBOX_CLAIM_MS`: it publishes them itself right
 * after commit (`OutboxRelay.publish`), and only a writer that died first leaves them to a sweep.
 */
export async function appendOutbox(trx: Kysely<DB>, events: readonly OutboxEvent[], now: Date): Promise<OutboxEntry[]> {
  if (events.length === 0) return [];
  const time = now.toISOString();
  const claimedUntil = new Date(now.getTime() + OUTBOX_CLAIM_MS).toISOString();
  const rows = await trx
    .insertInto('outbox')
    .values(events.map((e) => ({ type: e.type, subject: e.subject, time, data: JSON.stringify(e.data), claimed_until: claimedUntil, published_at: null })))
    .returning('id')
    .execute();
  return rows.map((r, i) => ({ id: Number(r.id), event: { type: events[i]!.type, time, subject: events[i]!.subject, data: events[i]!.data } }));
}

const toEntry = (r: OutboxTable & { id: number }): OutboxEntry => ({
  id: Number(r.id),
  event: { type: r.type, time: r.time, subject: r.subject, data: JSON.parse(r.data) as Record<string, unknown> },
});

/**
 * Relays committed outbox rows to the event bus, at least once: the writing process publishes its
 * rows right after commit, and `sweep` (run by the background loops) claims and publishes rows
 * whose writer's claim lapsed without publishing them (it crashed, or the bus was down). A claim
 * is a compare-and-set on `claimed_until`, so several processes sweeping publish each row once in
 * the usual case; consumers still treat a repeat as possible.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes rows in order and marks those the bus accepted. A failure is logged, not thrown:
   * the change has committed, and the rows left unmarked are published again by a later sweep.
   */
  async publish(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const done: number[] = [];
    try {
      for (const e of entries) {
        await this.bus.publish(e.event);
        done.push(e.id);
      }
    } catch (err) {
      this.logger.error({ err, outbox: entries.map((e) => e.id) }, 'could not publish events; the outbox relay retries them');
    }
    if (done.length === 0) return;
    try {
      await this.db.updateTable('outbox').set({ published_at: this.clock.now().toISOString() }).where('id', 'in', done).execute();
    } catch (err) {
      this.logger.warn({ err }, 'could not mark published events; they may be published again');
    }
  }

  /** Claims and publishes rows whose writer's claim lapsed; deletes old published rows. Returns how many it published. */
  async sweep(limit = 500): Promise<number> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const due = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('published_at', 'is', null)
      .where('claimed_until', '<', nowIso)
      .orderBy('id')
      .limit(limit)
      .execute();
    const claimed: OutboxEntry[] = [];
    const until = new Date(now.getTime() + OUTBOX_CLAIM_MS).toISOString();
    for (const r of due) {
      const c = await this.db
        .updateTable('outbox')
        .set({ claimed_until: until })
        .where('id', '=', r.id)
        .where('claimed_until', '=', r.claimed_until)
        .where('published_at', 'is', null)
        .executeTakeFirst();
      if (Number(c.numUpdatedRows) === 1) claimed.push(toEntry(r as OutboxTable & { id: number }));
    }
    await this.publish(claimed);
    await this.db
      .deleteFrom('outbox')
      .where('published_at', '<', new Date(now.getTime() - RETAIN_PUBLISHED_MS).toISOString())
      .execute();
    return claimed.length;
  }

  /** Sweeps every `intervalMs` until `stop`. */
  start(intervalMs = 5_000): void {
    this.timer = periodic(() => this.sweep(), intervalMs, (err) => this.logger.warn({ err }, 'outbox sweep failed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
