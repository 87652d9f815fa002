import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Monitor windows gain a `sections` column: the results of the checks added after drift, data
 * quality and quality (each under its evaluator's name, as JSON), and the state an evaluator
 * carries from one window to the next (a streaming detector's).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('monitor_results').addColumn('sections', 'text').execute();
}
