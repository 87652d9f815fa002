import type { OutputTensor } from '../runtime/index.js';
import { giveBuffer, takeBuffer } from './buffer-pool.js';
import type { LoggedInputs } from './prediction-segment.js';

// The byte layout of a segment body (format 2, described in prediction-segment.ts): its head,
// where its float64 arrays sit, and what each record's 8 metadata numbers mean.

export interface TensorShape {
  name: string;
  datatype: OutputTensor['datatype'];
  shape: number[];
}

export type LegacyInputs = { features: string[]; rows: LoggedInputs['rows'] | number; f64?: string };

export interface JsonParts {
  in?: LegacyInputs;
  out?: OutputTensor[];
  err?: string;
}

/** Where a float64 array sits after the head: byte offset, count. */
export type Section = [number, number];

export interface Head {
  /** Per record its request id, or '' when `made` holds it. */
  ids: string[];
  /**
   * Request ids the serving process made (its prefix and a base-36 counter), kept as numbers: one
   * counter per record, NaN where `ids` holds the id. Thousands of id strings held until a segment
   * was written outlived the young generation, and writing them as JSON cost more than the rest of
   * the head.
   */
  made?: { prefix: string; counters: Section };
  roles: string;
  meta: Section;
  groups: { features: string[]; f64: Section }[];
  layouts: { tensors: TensorShape[]; f64: Section }[];
  json: Record<string, JsonParts>;
}

const MAGIC = 'SXP2';

/**
 * A body this large is a large one: it sits on a pooled buffer, and the log puts it in the blob
 * store rather than in its database row.
 */
export const LARGE_BODY_BYTES = 64 * 1024;
const pooled = new WeakSet<Uint8Array>();

/** Lays out a segment body: magic, head length, head, padding, then the arrays at their offsets. */
export function segmentBody(
  head: Omit<Head, 'meta' | 'groups' | 'layouts' | 'made'>,
  meta: Float64Array,
  groups: { features: string[]; f64: Float64Array }[],
  layouts: { tensors: TensorShape[]; f64: Float64Array }[],
  made?: { prefix: string; counters: Float64Array },
): Buffer {
  let offset = 0;
  const place = (a: Float64Array): Section => {
    const s: Section = [offset, a.length];
    offset += a.byteLength;
    return s;
  };
  const full: Head = {
    ...head,
    meta: place(meta),
    groups: groups.map((g) => ({ features: g.features, f64: place(g.f64) })),
    layouts: layouts.map((l) => ({ tensors: l.tensors, f64: place(l.f64) })),
  };
  if (made) full.made = { prefix: made.prefix, counters: place(made.counters) };
  const text = Buffer.from(JSON.stringify(full), 'utf8');
  const start = (8 + text.length + 7) & ~7;
  const size = start + offset;
  // Not zero-filled (every byte is written below). A large body sits on a recycled buffer, which
  // `releaseBody` takes back once it is written.
  let out: Buffer;
  if (size >= LARGE_BODY_BYTES) {
    out = Buffer.from(takeBuffer(size), 0, size);
    pooled.add(out);
  } else out = Buffer.allocUnsafeSlow(size);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(text.length, 4);
  text.copy(out, 8);
  out.fill(0, 8 + text.length, start);
  let k = start;
  for (const a of [meta, ...groups.map((g) => g.f64), ...layouts.map((l) => l.f64), ...(made ? [made.counters] : [])]) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), k);
    k += a.byteLength;
  }
  return out;
}

/** Hands a body from `segmentBody` back once nothing reads it any more (it has been written). */
export function releaseBody(body: Uint8Array | undefined): void {
  if (body && pooled.delete(body)) giveBuffer(body.buffer as ArrayBuffer);
}

/** The JSON head of a segment body (ids, roles, sections, per-record JSON parts). */
export const segmentHead = (body: Uint8Array): Head => readBody(body).head;

export function readBody(body: Uint8Array): { head: Head; section: (s: Section) => Float64Array } {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a prediction log segment (format 2)');
  const length = bytes.readUInt32LE(4);
  const head = JSON.parse(bytes.toString('utf8', 8, 8 + length)) as Head;
  const start = (8 + length + 7) & ~7;
  return {
    head,
    // Copied out: the bytes need not sit on an 8-byte boundary of their buffer.
    section: ([offset, count]) => {
      const values = new Float64Array(count);
      new Uint8Array(values.buffer).set(bytes.subarray(start + offset, start + offset + count * 8));
      return values;
    },
  };
}

/** Float64 values per record in `meta`, and where each sits. */
export const META = 8;
export const TIME = 0;
export const LATENCY = 1;
export const VERSION = 2;
export const ROWS = 3;
export const GROUP = 4;
export const FIRST_ROW = 5;
export const LAYOUT = 6;
export const OFFSET = 7;
export const NONE = -1;
export const AS_JSON = -2;
