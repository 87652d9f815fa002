import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/** The prediction log and ground truth joined to it by request id. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('predictions')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer')
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('inputs', 'text')
    .addColumn('outputs', 'text')
    .addColumn('latency_ms', dialect === 'postgres' ? 'double precision' : 'real', (c) => c.notNull())
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('predictions_pk', ['request_id', 'role'])
    .execute();
  await db.schema.createIndex('predictions_deployment_time').on('predictions').columns(['deployment', 'time']).execute();
  await db.schema.createIndex('predictions_time').on('predictions').columns(['time']).execute();
  await db.schema
    .createTable('feedback')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('feedback_deployment').on('feedback').columns(['deployment', 'received_at']).execute();
}
