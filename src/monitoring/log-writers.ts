import { bulkInserter, type Database } from '../storage/index.js';
import type { PredictionRecord } from './prediction-log.js';
import { toPredictionRow } from './prediction-rows.js';

/** Writes one batch of prediction records; resolves with how many were stored, rejects on failure. */
export interface LogWriter {
  write(records: PredictionRecord[]): Promise<number>;
  close(): Promise<void>;
}

const COLUMNS = ['request_id', 'role', 'deployment', 'model', 'version', 'time', 'rows', 'inputs', 'outputs', 'latency_ms', 'error'] as const;

/**
 * Into the `predictions` table of either database through `bulkInserter` (prepared statements on
 * SQLite); the same request id and role twice keeps the first record.
 */
export function tableLogWriter(database: Database): LogWriter {
  const insert = bulkInserter(database, 'predictions', [...COLUMNS], ['request_id', 'role']);
  return {
    write: (records) => insert(records.map(toPredictionRow)),
    close: async () => {},
  };
}
