import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Fairness reports of versions (the latest feeds model cards and promotion rules) and the human
 * fields of model cards (version 0 holds what applies to every version of the model).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('fairness_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('report', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('fairness_reports_version').on('fairness_reports').columns(['model_id', 'version', 'created_at']).execute();
  await db.schema
    .createTable('model_cards')
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_cards_pk', ['model_id', 'version'])
    .execute();
}
