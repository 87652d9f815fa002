import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/** Alerts raised by monitors: open until a later window is clean (resolved) or someone acks them. */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('first_window_end', 'text', (c) => c.notNull())
    .addColumn('last_window_end', 'text', (c) => c.notNull())
    .addColumn('windows', 'integer', (c) => c.notNull())
    .addColumn('acked_by', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alerts_open').on('alerts').columns(['deployment', 'rule', 'status']).execute();
}
