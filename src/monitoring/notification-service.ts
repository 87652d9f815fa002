import { createHash, createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Channel, CreateChannelRequest, type Delivery } from '../contracts/alerts.js';
import type { SextantEvent } from '../events/index.js';
import { AppError } from '../shared/app-error.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { type Clock, isoNow } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { type OutboundGuard, outboundGuard } from '../shared/outbound-guard.js';
import { parseInput } from '../shared/parse.js';
import type { ChannelsTable, DB, DeliveriesTable } from '../storage/index.js';
import { isUniqueViolation } from '../storage/index.js';
import { periodic } from '../shared/periodic.js';
import { SpanKind, type TraceContext, traceHeaders, tracingOn, withSpanUnder } from '../shared/tracing.js';

/** Attempts before a delivery is marked failed; waits double from 1 s between them. */
export const MAX_ATTEMPTS = 6;

/**
 * The Standard Webhooks signature: base64 HMAC-SHA256 over `id.timestamp.body`, with the key
 * taken from a `whsec_` secret's base64 part (or the secret's bytes otherwise), sent as `v1,<sig>`.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

const toChannel = (r: ChannelsTable): Channel => ({ name: r.name, kind: r.kind as Channel['kind'], url: r.url, events: r.events, createdAt: r.created_at });

const toDelivery = (r: DeliveriesTable): Delivery => ({
  id: r.id,
  channel: r.channel,
  eventType: r.event_type,
  status: r.status as Delivery['status'],
  attempts: Number(r.attempts),
  lastCode: r.last_code === null ? null : Number(r.last_code),
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function slackText(e: SextantEvent): string {
  const reason = typeof e.data.reason === 'string' ? `: ${e.data.reason}` : '';
  return `Sextant ${e.type} on ${e.subject}${reason}`;
}

/**
 * Delivers events to channels: each matching channel gets a delivery row (one per event and
 * channel, whichever process heard the event), attempted with doubling waits until it succeeds or
 * has failed MAX_ATTEMPTS times. Every attempt's outcome stays in the delivery log.
 */
export class NotificationService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Where webhooks may go: checked when a channel is saved and again at every delivery. */
    private readonly outbound: OutboundGuard = outboundGuard(['loopback']),
  ) {}

  async createChannel(input: unknown): Promise<Channel> {
    const req = parseInput(CreateChannelRequest, input);
    await this.outbound.check(req.url, 'body.url');
    const row: ChannelsTable = { name: req.name, kind: req.kind, url: req.url, secret: req.secret ?? null, events: req.events, created_at: isoNow(this.clock) };
    try {
      await this.db.insertInto('channels').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('already_exists', `channel ${req.name} already exists`, { channel: req.name });
      throw err;
    }
    return toChannel(row);
  }

  async listChannels(): Promise<Channel[]> {
    return (await this.db.selectFrom('channels').selectAll().orderBy('name').execute()).map(toChannel);
  }

  async deleteChannel(name: string): Promise<void> {
    const r = await this.db.deleteFrom('channels').where('name', '=', name).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new AppError('not_found', `channel ${name} not found`, { channel: name });
  }

  async deliveries(channel?: string, limit = 100): Promise<Delivery[]> {
    let sel = this.db.selectFrom('deliveries').selectAll();
    if (channel) sel = sel.where('channel', '=', channel);
    return (await sel.orderBy('created_at', 'desc').limit(limit).execute()).map(toDelivery);
  }

  /** Records a delivery for each channel whose event prefix matches; idempotent per event and channel. */
  async enqueue(event: SextantEvent): Promise<number> {
    const channels = (await this.db.selectFrom('channels').selectAll().execute()).filter((c) => event.type.startsWith(c.events));
    // The traceparent is how the event was caused, not what it is: the same event heard with and
    // without one (republished by a sweep) is one delivery.
    const { traceparent: _, ...identity } = event;
    const eventId = createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 32);
    const now = isoNow(this.clock);
    let added = 0;
    for (const c of channels) {
      const row: DeliveriesTable = {
        id: `${eventId}:${c.name}`,
        channel: c.name,
        event_type: event.type,
        payload: JSON.stringify(event),
        status: 'pending',
        attempts: 0,
        last_code: null,
        last_error: null,
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      };
      const r = await this.db.insertInto('deliveries').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
      added += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  /** Attempts every due delivery once; concurrent calls share one pass. */
  deliverDue(): Promise<void> {
    this.running ??= this.attemptDue().finally(() => (this.running = undefined));
    return this.running;
  }

  private async attemptDue(): Promise<void> {
    const now = this.clock.now();
    const due = await this.db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now.toISOString())
      .orderBy('next_attempt_at')
      .limit(50)
      .execute();
    for (const d of due) {
      // Claim the attempt: only one process moves next_attempt_at from the value it read.
      const lease = new Date(now.getTime() + 60_000).toISOString();
      const claimed = await this.db
        .updateTable('deliveries')
        .set({ next_attempt_at: lease })
        .where('id', '=', d.id)
        .where('next_attempt_at', '=', d.next_attempt_at)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      const channel = await this.db.selectFrom('channels').selectAll().where('name', '=', d.channel).executeTakeFirst();
      const attempts = Number(d.attempts) + 1;
      let code: number | null = null;
      let error: string | null = null;
      if (!channel) error = 'channel deleted';
      else {
        try {
          code = await this.send(channel, d.id, JSON.parse(d.payload) as SextantEvent);
          if (code < 200 || code >= 300) error = `HTTP ${code}`;
        } catch (err) {
          error = (err as Error).message;
        }
      }
      const done = error === null;
      const failed = !done && (attempts >= MAX_ATTEMPTS || !channel);
      await this.db
        .updateTable('deliveries')
        .set({
          status: done ? 'delivered' : failed ? 'failed' : 'pending',
          attempts,
          last_code: code,
          last_error: error,
          next_attempt_at: done || failed ? null : new Date(this.clock.now().getTime() + 1000 * 2 ** (attempts - 1)).toISOString(),
          updated_at: isoNow(this.clock),
        })
        .where('id', '=', d.id)
        .execute();
      if (failed) this.logger.error({ delivery: d.id, channel: d.channel, error }, 'alert delivery failed for good');
    }
  }

  /** One attempt; with tracing on, a client span under the trace of the write that emitted the event, its traceparent sent along. */
  private send(channel: ChannelsTable, id: string, stored: SextantEvent): Promise<number> {
    const { traceparent, ...event } = stored;
    if (!tracingOn()) return this.post(channel, id, event);
    const attributes = { 'http.request.method': 'POST', 'url.full': channel.url, 'sextant.channel': channel.name, 'sextant.event.type': event.type };
    return withSpanUnder(traceparent, 'POST', attributes, async (span, trace) => {
      const code = await this.post(channel, id, event, trace);
      span?.setAttribute('http.response.status_code', code);
      return code;
    }, SpanKind.CLIENT);
  }

  private async post(channel: ChannelsTable, id: string, event: SextantEvent, trace?: TraceContext): Promise<number> {
    const body = channel.kind === 'slack' ? JSON.stringify({ text: slackText(event) }) : JSON.stringify(event);
    const headers: Record<string, string> = traceHeaders(trace, { 'content-type': 'application/json' });
    if (channel.kind === 'webhook' && channel.secret) {
      const timestamp = Math.floor(this.clock.now().getTime() / 1000);
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(timestamp);
      headers['webhook-signature'] = signWebhook(channel.secret, id, timestamp, body);
    }
    const res = await this.outbound.fetch(channel.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  }

  start(intervalMs = 1000): void {
    this.timer = periodic(() => this.deliverDue(), intervalMs, (err) => this.logger.warn({ err }, 'alert delivery pass failed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
