import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/** Monitors on deployments and their results per window (a time series). */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('monitors')
    .addColumn('deployment', 'text', (c) => c.primaryKey())
    .addColumn('window_seconds', 'integer', (c) => c.notNull())
    .addColumn('thresholds', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('monitor_results')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('window_end', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('drift', 'text')
    .addColumn('quality', 'text')
    .addColumn('alert', 'text')
    .addPrimaryKeyConstraint('monitor_results_pk', ['deployment', 'window_end'])
    .execute();
}
