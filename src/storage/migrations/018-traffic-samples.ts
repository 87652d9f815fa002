import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Every serving process's traffic per deployment, version and 10-second step: requests, server
 * errors, refused inputs, shed requests and a latency histogram. Rows are only inserted (a process
 * may flush one step in parts) and summed across processes when read, so the dashboard's charts
 * show what all processes served without the hot path touching the database.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('traffic_samples')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('second', 'integer', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    .addColumn('invalid', 'integer', (c) => c.notNull())
    .addColumn('shed', 'integer', (c) => c.notNull())
    .addColumn('histogram', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('traffic_samples_series').on('traffic_samples').columns(['deployment', 'second']).execute();
  await db.schema.createIndex('traffic_samples_second').on('traffic_samples').columns(['second']).execute();
}
