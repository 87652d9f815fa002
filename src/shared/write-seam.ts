import type { Role } from '../contracts/tokens.js';
import type { Actor } from './actor.js';

/**
 * The one path every state change of Sextant takes (implemented by `governance/`, handed to the
 * services by `app.ts`). A write runs these steps in this order:
 *
 * 1. **authorize**: the actor's effective role on the write's model (the higher of its token's
 *    global role and its grant on the model or on `*`) must reach the permission's role, else
 *    403 `permission_denied` naming the role needed and the model;
 * 2. **approval check** (writes that move an alias; see the approvals service);
 * 3. **transaction**: `apply` makes the change through `ctx.db`;
 * 4. **audit**: the events `apply` queued with `ctx.audit` are appended to the hash chain, in order;
 * 5. **change sequence**: bumped once when `apply` called `ctx.changed()` (serving refreshes);
 * 6. **outbox**: the events `apply` queued with `ctx.emit` become outbox rows;
 *
 * all in the one transaction. After commit the outbox rows are published to the event bus (at
 * least once: a relay republishes rows whose writer died before publishing). Reads stay direct.
 *
 * `Tx` is the transaction handle (`Kysely<DB>` in Sextant; `storage/` names the pair `Writes` and
 * `WriteTx`), so this port depends on nothing but the contracts.
 */
export interface WriteSeam<Tx> {
  /**
   * Runs one write through every step and returns what `apply` returned. Throws what `apply`
   * throws (nothing is written then), `permission_denied` when the actor lacks the role.
   * `apply` must not call `run` again (on SQLite the open transaction holds the only
   * connection): code shared between writes takes the `WriteContext` instead.
   */
  run<T>(write: Write<Tx, T>): Promise<T>;
  /**
   * Step 1 alone, for work that must be refused before it starts (an artifact upload before its
   * registration). `run` authorizes again.
   */
  authorize(by: Actor, permission: Permission): Promise<void>;
}

/** One write: who, what it needs, and the change itself. */
export interface Write<Tx, T> {
  /** Who acts; the audit trail names `by.actor` unless a record says otherwise. */
  readonly by: Actor;
  /** The role the write needs, and where. */
  readonly permission: Permission;
  /** The change, inside the transaction. Queue audit records and events on `ctx`; do not write them. */
  apply(ctx: WriteContext<Tx>): Promise<T>;
}

/**
 * The role a write needs: on a model (a grant on it or on `*` counts), on Sextant as a whole
 * (`model: null`: tokens, notification channels; only the token's global role counts), or
 * `internal` for Sextant's own bookkeeping (monitor windows, promotion steps), which no caller
 * reaches directly.
 */
export type Permission = { readonly role: Role; readonly model: string | null } | 'internal';

/** What a write hands the steps after `apply`; every member is valid only while `apply` runs. */
export interface WriteContext<Tx> {
  /** The open transaction: every read and write of the change goes through it. */
  readonly db: Tx;
  /** The write's time (ISO 8601), the same for its rows, its audit events and its events. */
  readonly now: string;
  /** Who acts (the write's `by`). */
  readonly by: Actor;
  /** Queues an audit event; they are appended after `apply` returns, in the order queued. */
  audit(record: AuditRecord): void;
  /** Says serving-relevant state changed (an alias, a deployment, a version's status): the change sequence is bumped once. */
  changed(): void;
  /** Queues an event for the bus; its outbox row commits with the change and is published after. */
  emit(event: OutboxEvent): void;
}

/** What a change tells the audit trail; sequence number, time and hashes are the trail's. */
export interface AuditRecord {
  /** Dotted verb, e.g. `alias.set`, `deployment.canary`. */
  action: string;
  /** What changed, e.g. `model:fraud@champion`, `deployment:web`. */
  target: string;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  /** Who the trail names; the write's actor when absent (an approved move names its requester). */
  actor?: string;
  /** The request that caused it; the write's when absent. */
  requestId?: string | null;
}

/** An event for subscribers (notifications, retraining triggers, other processes); its time is the write's. */
export interface OutboxEvent {
  /** Dotted type, e.g. `promotion.step`. */
  type: string;
  /** What it is about, e.g. a deployment or model name. */
  subject: string;
  data: Record<string, unknown>;
}
