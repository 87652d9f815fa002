import { type Kysely, sql } from 'kysely';
import type { DB } from './schema.js';
import { untyped } from './untyped.js';

/**
 * On PostgreSQL the prediction log's two tables are partitioned by day: `prediction_segments` by
 * its `last_time` (the time of a segment's newest record) and `prediction_ids` by `segment_time`
 * (the same value, copied from the segment an id points at), so a day's segments and the ids that
 * join through them sit in partitions of the same day and go together. Each table also has a
 * default partition, for rows whose day has no partition yet. Times are ISO 8601 text under the
 * "C" collation, so text order is time order and `'2026-12-06' <= t < '2026-12-07'` is one day.
 */
export const PARTITIONED_TABLES = [
  { table: 'prediction_segments', key: 'last_time' },
  { table: 'prediction_ids', key: 'segment_time' },
] as const;

const DAY = 86_400_000;

/** `YYYY-MM-DD` of an ISO time or a date. */
export const dayOf = (t: string | Date): string => (typeof t === 'string' ? t : t.toISOString()).slice(0, 10);

/** The day after `day`. */
export const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + DAY).toISOString().slice(0, 10);

/** The partition of `table` holding `day`, e.g. `prediction_segments_p20261206`. */
export const partitionName = (table: string, day: string): string => `${table}_p${day.replaceAll('-', '')}`;

/** The day a partition's name stands for, or null for the default partition and anything else. */
function dayOfPartition(table: string, name: string): string | null {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** Serialises partition changes between processes (and the migration that makes the tables). */
const lockPartitions = (db: Kysely<unknown>) => sql`select pg_advisory_xact_lock(7355610)`.execute(db);

/** Days that have partitions, ascending. */
export async function partitionDays(db: Kysely<unknown>): Promise<string[]> {
  const rows = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = to_regclass('prediction_segments')`.execute(db);
  return rows.rows
    .map((r) => dayOfPartition('prediction_segments', r.name))
    .filter((d): d is string => d !== null)
    .sort();
}

/**
 * Makes the partitions of `day` for both tables inside `trx` unless they exist. Rows of that day
 * already in a default partition move into the new one first: PostgreSQL refuses a partition
 * whose range the default partition still holds rows of. Returns whether it made them.
 */
export async function createDayPartitions(trx: Kysely<unknown>, day: string): Promise<boolean> {
  await lockPartitions(trx);
  const exists = await sql<{ t: string | null }>`select to_regclass(${partitionName('prediction_segments', day)})::text as t`.execute(trx);
  if (exists.rows[0]?.t) return false;
  const from = sql.lit(day);
  const to = sql.lit(nextDay(day));
  for (const { table, key } of PARTITIONED_TABLES) {
    const part = sql.id(partitionName(table, day));
    const parent = sql.id(table);
    const fallback = sql.id(`${table}_default`);
    const column = sql.id(key);
    await sql`create table ${part} (like ${parent} including defaults)`.execute(trx);
    await sql`with moved as (delete from ${fallback} where ${column} >= ${from} and ${column} < ${to} returning *) insert into ${part} select * from moved`.execute(trx);
    await sql`alter table ${parent} attach partition ${part} for values from (${from}) to (${to})`.execute(trx);
  }
  return true;
}

/** What a purge removed: records, and the blobs that held the bodies of large segments. */
export interface PurgedPartitions {
  records: number;
  blobs: string[];
}

/**
 * Keeps the partitions ahead of the clock and drops those behind the retention: the one place that
 * changes the prediction log's partitions after the migration that made them.
 */
export class PredictionPartitions {
  constructor(private readonly db: Kysely<DB>) {}

  private get raw(): Kysely<unknown> {
    return untyped(this.db);
  }

  /** Days that have partitions, ascending. */
  days(): Promise<string[]> {
    return partitionDays(this.raw);
  }

  /**
   * Makes the partitions of `now`'s day and the `aheadDays` after it, and of every day from
   * `keepFrom` on that has rows in a default partition (a node that wrote while no partition
   * existed, or a clock ahead). Returns the days made.
   */
  async maintain(now: Date, keepFrom: string, aheadDays = 2): Promise<string[]> {
    const wanted = new Set<string>();
    for (let d = dayOf(now), i = 0; i <= aheadDays; d = nextDay(d), i++) wanted.add(d);
    const strays = await sql<{ day: string }>`select distinct left(last_time, 10) as day from prediction_segments_default where last_time >= ${dayOf(keepFrom)}`.execute(this.raw);
    for (const r of strays.rows) wanted.add(r.day);
    const made: string[] = [];
    for (const day of [...wanted].sort()) {
      if (await this.raw.transaction().execute((trx) => createDayPartitions(trx, day))) made.push(day);
    }
    return made;
  }

  /**
   * Drops the partitions of days wholly before `cutoff` (both tables at once) and deletes the rows
   * before it that sit in the default partitions. The partition of the cutoff's own day stays
   * whole until that day is past: retention here works in days, not rows.
   */
  async purge(cutoff: string): Promise<PurgedPartitions> {
    const out: PurgedPartitions = { records: 0, blobs: [] };
    for (const day of await this.days()) {
      if (nextDay(day) > cutoff) break;
      await this.raw.transaction().execute(async (trx) => {
        await lockPartitions(trx);
        const part = sql.id(partitionName('prediction_segments', day));
        const gone = await sql<{ records: string; skip: string | null; blob: string | null }>`select records, skip, blob from ${part}`.execute(trx);
        tally(out, gone.rows);
        await sql`drop table ${part}, ${sql.id(partitionName('prediction_ids', day))}`.execute(trx);
      });
    }
    await this.raw.transaction().execute(async (trx) => {
      const gone = await sql<{ records: string; skip: string | null; blob: string | null }>`
        delete from prediction_segments_default where last_time < ${cutoff} returning records, skip, blob`.execute(trx);
      tally(out, gone.rows);
      await sql`delete from prediction_ids_default where segment_time < ${cutoff}`.execute(trx);
    });
    return out;
  }
}

function tally(out: PurgedPartitions, rows: { records: string | number; skip: string | null; blob: string | null }[]): void {
  for (const r of rows) {
    out.records += Number(r.records) - (r.skip ? (JSON.parse(r.skip) as number[]).length : 0);
    if (r.blob) out.blobs.push(r.blob);
  }
}
