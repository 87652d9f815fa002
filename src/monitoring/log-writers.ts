import type { BlobStore } from '../artifacts/index.js';
import type { Database } from '../storage/index.js';
import type { SegmentDraft } from './prediction-segment.js';
import { LARGE_BODY_BYTES } from './segment-body.js';
import { segmentInserter, type SegmentInserter } from './segment-inserter.js';

/** Writes segments of the prediction log; resolves with how many records were stored, rejects on failure. */
export interface LogWriter {
  write(segments: SegmentDraft[]): Promise<number>;
  close(): Promise<void>;
}

/** Inserts segments in this process. */
export function tableLogWriter(database: Database): LogWriter {
  const insert = segmentInserter(database);
  return {
    write: (segments) => insert(segments),
    close: async () => {},
  };
}

/**
 * Keeps segment bodies larger than `inlineBytes` in the blob store and hands `inner` their digest
 * instead: a database row per segment stays small (the write-ahead log copies every byte twice),
 * and nothing large crosses between processes. Small segments, the usual case under light
 * traffic, stay in their row rather than costing a file each.
 */
export function blobBodies(blobs: BlobStore, inner: LogWriter, inlineBytes = LARGE_BODY_BYTES): LogWriter {
  return {
    write: async (segments) => {
      const stored = await Promise.all(
        segments.map(async ({ body, ...d }) => {
          if (body === undefined || body.byteLength <= inlineBytes) return { ...d, body };
          // Not synced before it is named: the log may lose its last moments with the machine,
          // as the SQLite log does, rather than pay a disk flush per segment.
          const { digest } = await blobs.putBytes(body, { durable: false });
          return { ...d, blob: digest };
        }),
      );
      try {
        return await inner.write(stored);
      } catch (err) {
        // No row will point at these blobs: remove them rather than leave them behind.
        await Promise.all(stored.map((d) => (d.blob ? blobs.delete(d.blob).catch(() => {}) : undefined)));
        throw err;
      }
    },
    close: () => inner.close(),
  };
}

/** A batch of encoded segments on its way to the process that owns the writes, and the answer. */
export type LogMessage = { type: 'sextant-log'; id: number; segments: SegmentDraft[] } | { type: 'sextant-log-ack'; id: number; written?: number; error?: string };

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
 * Hands segments to another process that inserts them: several
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
    write: (segments) =>
      new Promise<number>((resolve, reject) => {
        if (closed) return reject(new Error('the log writer process is gone'));
        const id = next++;
        pending.set(id, { resolve, reject });
        try {
          channel.send({ type: 'sextant-log', id, segments });
        } catch (err) {
          pending.delete(id);
          reject(err as Error);
        }
      }),
    close: async () => {},
  };
}

/**
 * The receiving end of `channelLogWriter`: inserts the batches that arrive, one transaction each,
 * in order of arrival, and answers each with how many records were stored or why none were.
 */
export function serveLogWrites(insert: SegmentInserter): (message: unknown, reply: (ack: LogMessage) => void) => void {
  let last: Promise<void> = Promise.resolve();
  return (message, reply) => {
    const m = message as LogMessage | null;
    if (m?.type !== 'sextant-log') return;
    last = last.then(() =>
      insert(m.segments).then(
        (written) => reply({ type: 'sextant-log-ack', id: m.id, written }),
        (err: unknown) => reply({ type: 'sextant-log-ack', id: m.id, error: (err as Error).message }),
      ),
    );
  };
}
