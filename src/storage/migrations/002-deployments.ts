import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect-types.js';

/** Deployments and the change sequence that tells every worker to refresh its routing. */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('last_event', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deployments_model').on('deployments').columns(['model_id']).execute();
  await db.schema.createTable('change_seq').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('seq', 'integer', (c) => c.notNull()).execute();
  await sql`insert into change_seq (id, seq) values (1, 0)`.execute(db);
}
