import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect-types.js';
import { createDayPartitions, dayOf, nextDay } from '../prediction-partitions.js';

/**
 * Several nodes on one database:
 * - `nodes`: every running node and its heartbeat; `leases`: which process does each singleton
 *   task (monitor windows per deployment, the scheduler, promotions, retention, SLO decisions,
 *   partition upkeep), until when (storage/leases.ts).
 * - PostgreSQL: a change to `change_seq` notifies listeners (LISTEN/NOTIFY), so every node
 *   refreshes its routing at once instead of at its next poll.
 * - PostgreSQL: the prediction log is partitioned by day (storage/prediction-partitions.ts), the
 *   rows logged so far moved into the partitions of their days.
 * - `outbox.event_id`: an event's id, kept across repeated publications (events/outbox-relay.ts).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('term', 'integer', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('renewed_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  // Each outbox row's event gets an id, the same however often it is published.
  await db.schema.alterTable('outbox').addColumn('event_id', 'text').execute();
  if (dialect !== 'postgres') return;
  await notifyChanges(db);
  await partitionPredictionLog(db);
}

/** The channel is per schema: several Sextants (or test runs) may share one PostgreSQL database. */
async function notifyChanges(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function sextant_change_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('sextant_change_' || current_schema(), new.seq::text);
      return new;
    end $$`.execute(db);
  await sql`create trigger change_seq_notify after update on change_seq for each row execute function sextant_change_notify()`.execute(db);
}

async function partitionPredictionLog(db: Kysely<unknown>): Promise<void> {
  // The old tables give way to partitioned ones of the same shape; segment ids continue from the
  // same sequence, so ids already handed out keep their meaning.
  await sql`alter sequence prediction_segments_id_seq owned by none`.execute(db);
  await sql`alter table prediction_segments rename to prediction_segments_unpartitioned`.execute(db);
  await sql`alter table prediction_ids rename to prediction_ids_unpartitioned`.execute(db);
  for (const index of ['prediction_segments_deployment_time', 'prediction_segments_model_time', 'prediction_segments_time', 'prediction_segments_own_ids', 'prediction_ids_segment']) {
    await sql`drop index ${sql.id(index)}`.execute(db);
  }
  await sql`
    create table prediction_segments (
      id bigint not null default nextval('prediction_segments_id_seq'),
      deployment text not null,
      model text not null,
      first_time text collate "C" not null,
      last_time text collate "C" not null,
      records integer not null,
      body bytea,
      blob text,
      skip text,
      id_prefix text,
      id_first bigint,
      id_last bigint,
      id_offsets bytea,
      primary key (id, last_time)
    ) partition by range (last_time)`.execute(db);
  // Without a unique request id across partitions, a repeated caller id is found by looking it up
  // (monitoring/segment-inserter.ts) rather than by a conflict.
  await sql`
    create table prediction_ids (
      request_id text not null,
      segment_id bigint not null,
      segment_time text collate "C" not null
    ) partition by range (segment_time)`.execute(db);
  await sql`alter sequence prediction_segments_id_seq owned by prediction_segments.id`.execute(db);
  await sql`create table prediction_segments_default partition of prediction_segments default`.execute(db);
  await sql`create table prediction_ids_default partition of prediction_ids default`.execute(db);
  await sql`create index prediction_segments_deployment_time on prediction_segments (deployment, last_time)`.execute(db);
  await sql`create index prediction_segments_model_time on prediction_segments (model, last_time)`.execute(db);
  await sql`create index prediction_segments_time on prediction_segments (last_time)`.execute(db);
  await sql`create index prediction_segments_own_ids on prediction_segments (id_prefix, id_first)`.execute(db);
  await sql`create index prediction_ids_request on prediction_ids (request_id)`.execute(db);

  // A partition for every day that has rows, and for today and the two days after it.
  const days = await sql<{ day: string }>`select distinct left(last_time, 10) as day from prediction_segments_unpartitioned`.execute(db);
  const wanted = new Set(days.rows.map((r) => r.day));
  for (let d = dayOf(new Date()), i = 0; i < 3; d = nextDay(d), i++) wanted.add(d);
  for (const day of [...wanted].sort()) await createDayPartitions(db, day);
  await sql`
    insert into prediction_segments (id, deployment, model, first_time, last_time, records, body, blob, skip, id_prefix, id_first, id_last, id_offsets)
    select id, deployment, model, first_time, last_time, records, body, blob, skip, id_prefix, id_first, id_last, id_offsets
    from prediction_segments_unpartitioned`.execute(db);
  await sql`
    insert into prediction_ids (request_id, segment_id, segment_time)
    select i.request_id, i.segment_id, s.last_time
    from prediction_ids_unpartitioned i join prediction_segments_unpartitioned s on s.id = i.segment_id`.execute(db);
  await sql`drop table prediction_ids_unpartitioned, prediction_segments_unpartitioned`.execute(db);
}
