import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/** Per-worker, per-second canary figures, combined across workers before the SLO guard acts. */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('slo_samples')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('second', 'integer', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    .addColumn('histogram', 'text', (c) => c.notNull())
    .execute();
  // Rows are only ever inserted (a process may flush one second in parts) and summed when read.
  await db.schema.createIndex('slo_samples_window').on('slo_samples').columns(['deployment', 'version', 'second']).execute();
  await db.schema.createIndex('slo_samples_second').on('slo_samples').columns(['second']).execute();
}
