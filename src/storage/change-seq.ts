import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * Records that serving-relevant state changed (an alias moved, a deployment or version status
 * changed). Called inside the changing transaction; workers poll the number and refresh.
 */
export async function bumpChangeSeq(trx: Kysely<DB>): Promise<void> {
  await trx.updateTable('change_seq').set({ seq: sql`seq + 1` }).where('id', '=', 1).execute();
}

/** The current change number, read by every worker's refresh loop. */
export async function readChangeSeq(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('change_seq').select('seq').where('id', '=', 1).executeTakeFirst();
  return Number(row?.seq ?? 0);
}
