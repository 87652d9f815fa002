import type { Kysely } from 'kysely';
import type { DB } from '../storage/index.js';
import type { PredictionRecord } from './prediction-log.js';
import { toPredictionRow } from './prediction-rows.js';

/** Writes one batch of prediction records; resolves with how many were stored, rejects on failure. */
export interface LogWriter {
  write(records: PredictionRecord[]): Promise<number>;
  close(): Promise<void>;
}

/** Through the shared query builder, on either database. */
export function kyselyLogWriter(db: Kysely<DB>): LogWriter {
  return {
    write: async (records) => {
      await db
        .insertInto('predictions')
        .values(records.map(toPredictionRow))
        .onConflict((oc) => oc.columns(['request_id', 'role']).doNothing())
        .execute();
      return records.length;
    },
    close: async () => {},
  };
}
