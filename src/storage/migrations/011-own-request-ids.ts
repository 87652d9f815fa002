import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Request ids the server made (a process prefix and a counter) are no longer indexed one row each:
 * a segment keeps the prefix, the range of counters and the counters of its primary records with
 * such ids (monitoring/own-request-ids.ts), and lookups find them through the index on prefix and
 * first counter. Ids that callers chose still go into `prediction_ids`; rows logged before keep
 * theirs there.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.alterTable('prediction_segments').addColumn('id_prefix', 'text').execute();
  await db.schema.alterTable('prediction_segments').addColumn('id_first', 'bigint').execute();
  await db.schema.alterTable('prediction_segments').addColumn('id_last', 'bigint').execute();
  await db.schema
    .alterTable('prediction_segments')
    .addColumn('id_offsets', dialect === 'postgres' ? 'bytea' : 'blob')
    .execute();
  await db.schema.createIndex('prediction_segments_own_ids').on('prediction_segments').columns(['id_prefix', 'id_first']).execute();
}
