import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Business value: each model's KPI (what its outcomes are worth, what a CPU-hour costs), and the
 * CPU time serving processes spend in the inference path per deployment and 10-second step. Like
 * the traffic history, CPU rows are only inserted (a process may flush one step in parts) and
 * summed across processes when read.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const bigint = sql.raw(dialect === 'postgres' ? 'bigint' : 'integer');
  await db.schema
    .createTable('model_kpis')
    .addColumn('model', 'text', (c) => c.primaryKey())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('serving_cpu')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('second', 'integer', (c) => c.notNull())
    .addColumn('cpu_us', bigint, (c) => c.notNull())
    .addColumn('predictions', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('serving_cpu_series').on('serving_cpu').columns(['deployment', 'second']).execute();
}
