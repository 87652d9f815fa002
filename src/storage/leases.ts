import { type Kysely, sql } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from './schema.js';

/** A singleton task's lease as stored: who holds it and until when. */
export interface Lease {
  /** The task, e.g. `scheduler` or `monitor:fraud`. */
  name: string;
  /** The process holding it (node id and process id). */
  holder: string;
  /** The node that process belongs to. */
  node: string;
  /** Grows by one every time the lease changes hands: a fencing number for the work done under it. */
  term: number;
  acquiredAt: string;
  renewedAt: string;
  /** Past this time the lease is free, whoever held it. */
  expiresAt: string;
}

/** Who claims: a process, and the node it runs on. */
export interface LeaseHolder {
  id: string;
  node: string;
}

/**
 * Leases in the database: each singleton task (a monitor's windows, the scheduler, promotions,
 * retention, SLO decisions, partition upkeep) is done by the one live process that holds its
 * lease. A holder renews what it holds well within the time to live; a holder that dies stops
 * renewing, and its leases are free to any other once they expire.
 */
export interface LeaseStore {
  /**
   * Renews every named lease `holder` holds and takes every one that is free (never held, expired,
   * or released) for `ttlMs` from now, in one statement; leases another live holder keeps are left
   * alone. Resolves with the names `holder` holds afterwards and their terms. Concurrent claimers
   * never both get one lease.
   */
  claim(holder: LeaseHolder, names: readonly string[], ttlMs: number): Promise<Map<string, number>>;
  /** Gives leases up (all of the holder's when `names` is absent) so another may take them at once. */
  release(holder: LeaseHolder, names?: readonly string[]): Promise<void>;
  /** Every lease, held or expired, by name. */
  list(): Promise<Lease[]>;
}

/** Leases per statement (below both engines' parameter limits). */
const CHUNK = 100;

/** The lease store over the Sextant database; one SQL statement set for SQLite and PostgreSQL. */
export class SqlLeaseStore implements LeaseStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  async claim(holder: LeaseHolder, names: readonly string[], ttlMs: number): Promise<Map<string, number>> {
    const held = new Map<string, number>();
    const now = this.clock.now();
    const at = now.toISOString();
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    for (let i = 0; i < names.length; i += CHUNK) {
      const rows = names.slice(i, i + CHUNK).map((name) => ({ name, holder: holder.id, node: holder.node, term: 1, acquired_at: at, renewed_at: at, expires_at: expires }));
      // An upsert whose update happens only for the holder itself or a lease past its expiry: the
      // row lock (PostgreSQL) or the write lock (SQLite) lets exactly one claimer through, and the
      // condition is checked again on the row it finally sees.
      const won = await this.db
        .insertInto('leases')
        .values(rows)
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({
              term: sql`case when leases.holder = excluded.holder then leases.term else leases.term + 1 end`,
              acquired_at: sql`case when leases.holder = excluded.holder then leases.acquired_at else excluded.acquired_at end`,
              holder: sql`excluded.holder`,
              node: sql`excluded.node`,
              renewed_at: sql`excluded.renewed_at`,
              expires_at: sql`excluded.expires_at`,
            })
            .where((eb) => eb.or([eb('leases.holder', '=', holder.id), eb('leases.expires_at', '<=', at)])),
        )
        .returning(['name', 'term'])
        .execute();
      for (const r of won) held.set(r.name, Number(r.term));
    }
    return held;
  }

  async release(holder: LeaseHolder, names?: readonly string[]): Promise<void> {
    const at = this.clock.now().toISOString();
    let q = this.db.updateTable('leases').set({ expires_at: at }).where('holder', '=', holder.id).where('expires_at', '>', at);
    if (names) {
      if (names.length === 0) return;
      q = q.where('name', 'in', names);
    }
    await q.execute();
  }

  async list(): Promise<Lease[]> {
    const rows = await this.db.selectFrom('leases').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      holder: r.holder,
      node: r.node,
      term: Number(r.term),
      acquiredAt: r.acquired_at,
      renewedAt: r.renewed_at,
      expiresAt: r.expires_at,
    }));
  }
}
