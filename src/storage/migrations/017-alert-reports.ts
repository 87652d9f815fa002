import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Alerts gain a `report` column: for drift alerts, the path of the HTML drift report of the
 * window that last breached (the page `sextant drift --html` writes), so whoever gets the alert
 * can open the evidence.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('alerts').addColumn('report', 'text').execute();
}
