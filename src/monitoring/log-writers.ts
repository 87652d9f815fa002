import { bulkInserter, type Database } from '../storage/index.js';
import type { PredictionsTable } from '../storage/schema.js';
import type { PredictionRecord } from './prediction-log.js';
import { toPredictionRow } from './prediction-rows.js';

/** Writes one batch of prediction records; resolves with how many were stored, rejects on failure. */
export interface LogWriter {
  write(records: PredictionRecord[]): Promise<number>;
  close(): Promise<void>;
}

/** Stores serialised prediction rows; resolves with how many were offered. */
export type PredictionRowInserter = (rows: PredictionsTable[]) => Promise<number>;

const COLUMNS = ['request_id', 'role', 'deployment', 'model', 'version', 'time', 'rows', 'inputs', 'outputs', 'latency_ms', 'error'] as const;

/**
 * Inserts prediction rows into the `predictions` table of either database through `bulkInserter`
 * (prepared statements on SQLite); the same request id and role twice keeps the first row.
 */
export function predictionRowInserter(database: Database): PredictionRowInserter {
  return bulkInserter(database, 'predictions', [...COLUMNS], ['request_id', 'role']);
}

/** Serialises records and inserts them in this process. */
export function tableLogWriter(database: Database): LogWriter {
  const insert = predictionRowInserter(database);
  return {
    write: (records) => insert(records.map(toPredictionRow)),
    close: async () => {},
  };
}

/** A batch of serialised rows on its way to the process that owns the writes, and the answer. */
export type LogMessage = { type: 'sextant-log'; id: number; rows: PredictionsTable[] } | { type: 'sextant-log-ack'; id: number; written?: number; error?: string };

/** Both ends of a message channel between processes (a cluster worker and its primary). */
export interface LogChannel {
  /** Sends a message; throws when the channel is closed. */
  send(message: LogMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the other side is gone: batches in flight then fail instead of hanging. */
  onClose(listener: () => void): void;
}

const isAck = (m: unknown): m is Extract<LogMessage, { type: 'sextant-log-ack' }> => (m as LogMessage | null)?.type === 'sextant-log-ack';

/**
 * Serialises records here and hands the rows to another process that inserts them: several
 * processes inserting into one SQLite file take turns on its write lock, and a process waiting
 * for it blocks its event loop, requests included. Resolves when the other side has stored the
 * batch, rejects with its error.
 */
export function channelLogWriter(channel: LogChannel): LogWriter {
  const pending = new Map<number, { resolve: (n: number) => void; reject: (err: Error) => void }>();
  let next = 0;
  channel.onMessage((m) => {
    if (!isAck(m)) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.written ?? 0);
  });
  let closed = false;
  channel.onClose(() => {
    closed = true;
    for (const p of pending.values()) p.reject(new Error('the log writer process is gone'));
    pending.clear();
  });
  return {
    write: (records) =>
      new Promise<number>((resolve, reject) => {
        if (closed) return reject(new Error('the log writer process is gone'));
        const id = next++;
        pending.set(id, { resolve, reject });
        try {
          channel.send({ type: 'sextant-log', id, rows: records.map(toPredictionRow) });
        } catch (err) {
          pending.delete(id);
          reject(err as Error);
        }
      }),
    close: async () => {},
  };
}

/** Rows the receiving end puts into one transaction at most, so one insert cannot hold its loop for long. */
const MAX_ROWS_PER_INSERT = 2000;

/**
 * The receiving end of `channelLogWriter`: inserts the batches that arrive and answers each with
 * how many rows were stored or why none were. Batches that queue up while an insert runs (several
 * serving processes, or a burst) go into the next insert together: one transaction for several
 * batches writes each touched page once (measured: 600 rows per transaction cost about 7 µs a row,
 * 150 about 8–9 µs). Batches in one insert are stored or refused together.
 */
export function serveLogWrites(insert: PredictionRowInserter): (message: unknown, reply: (ack: LogMessage) => void) => void {
  const waiting: { id: number; rows: PredictionsTable[]; reply: (ack: LogMessage) => void }[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (waiting.length > 0) {
      let take = 0;
      let rows = 0;
      while (take < waiting.length && (take === 0 || rows + waiting[take]!.rows.length <= MAX_ROWS_PER_INSERT)) rows += waiting[take++]!.rows.length;
      const group = waiting.splice(0, take);
      try {
        await insert(group.length === 1 ? group[0]!.rows : group.flatMap((g) => g.rows));
        for (const g of group) g.reply({ type: 'sextant-log-ack', id: g.id, written: g.rows.length });
      } catch (err) {
        for (const g of group) g.reply({ type: 'sextant-log-ack', id: g.id, error: (err as Error).message });
      }
    }
    running = false;
  };
  return (message, reply) => {
    const m = message as LogMessage | null;
    if (m?.type !== 'sextant-log') return;
    waiting.push({ id: m.id, rows: m.rows, reply });
    if (!running) void drain();
  };
}
