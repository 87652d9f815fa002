import os from 'node:os';
import type { Kysely } from 'kysely';
import { ownRequestPrefix } from '../shared/ids.js';
import type { DB } from '../storage/index.js';

/**
 * The primary records of a segment whose request ids this process made (`newRequestId`: a process
 * prefix and a counter). Such an id is unique by construction, so the log does not index it: the
 * segment's row keeps the prefix, the counters' range and the counters themselves, and a lookup
 * reads the id's prefix and counter and checks the rows whose range holds it. An index row per
 * request cost the process that owns the writes more than the rest of the log's storing together.
 */
export interface OwnIds {
  prefix: string;
  /** The smallest and largest counter. */
  first: number;
  last: number;
  /** Every counter minus `first`, ascending, as 32-bit little-endian integers. */
  offsets: Uint8Array;
}

/**
 * The widest range of counters one segment may cover. Bounded so that a lookup need only read
 * the rows whose range starts at most this far below the counter it looks for.
 */
export const MAX_ID_SPAN = 65_536;

const BIG_ENDIAN = os.endianness() === 'BE';

/** Collects the counters of a segment's own request ids as records are added. */
export class OwnIdCollector {
  private min = Infinity;
  private max = -Infinity;
  private counters: number[] = [];

  /**
   * Takes the counter of an id this process made (`ownRequestCounter`); false, and nothing kept,
   * when it would stretch the range beyond `MAX_ID_SPAN` (it belongs in the next segment).
   */
  take(c: number): boolean {
    if (Math.max(this.max, c) - Math.min(this.min, c) >= MAX_ID_SPAN) return false;
    if (c < this.min) this.min = c;
    if (c > this.max) this.max = c;
    this.counters.push(c);
    return true;
  }

  /** The collected ids, or undefined when there were none. */
  build(): OwnIds | undefined {
    if (this.counters.length === 0) return undefined;
    const offsets = new Uint32Array(this.counters.length);
    for (let i = 0; i < offsets.length; i++) offsets[i] = this.counters[i]! - this.min;
    offsets.sort();
    const bytes = Buffer.from(offsets.buffer);
    if (BIG_ENDIAN) bytes.swap32();
    return { prefix: ownRequestPrefix(), first: this.min, last: this.max, offsets: bytes };
  }
}

/** Whether `counter` is among a segment's own ids (`first` and `offsets` as stored). */
export function holdsCounter(first: number, offsets: Uint8Array, counter: number): boolean {
  const target = counter - first;
  if (target < 0) return false;
  const bytes = Buffer.from(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  let lo = 0;
  let hi = (bytes.length >> 2) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = bytes.readUInt32LE(mid * 4);
    if (v === target) return true;
    if (v < target) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The columns of a segment row that a lookup of its own ids reads. */
export interface OwnCandidate {
  id: number | string;
  deployment: string;
  model: string;
  id_first: number | string | null;
  id_last: number | string | null;
  id_offsets: Uint8Array | null;
}

/**
 * The segment rows whose own ids may include a counter in `[lo, hi]` of this prefix: a row's range
 * is at most `MAX_ID_SPAN` wide, so it starts no further below `lo` (the index on prefix and
 * first counter answers this).
 */
export function ownCandidates(db: Kysely<DB>, prefix: string, lo: number, hi: number) {
  return db
    .selectFrom('prediction_segments')
    .select(['id', 'deployment', 'model', 'id_first', 'id_last', 'id_offsets'])
    .where('id_prefix', '=', prefix)
    .where('id_first', '>=', lo - MAX_ID_SPAN)
    .where('id_first', '<=', hi)
    .where('id_last', '>=', lo);
}

/** The first of these rows that holds the counter, if any. */
export function heldBy<R extends Pick<OwnCandidate, 'id_first' | 'id_last' | 'id_offsets'>>(rows: readonly R[], counter: number): R | undefined {
  return rows.find((r) => Number(r.id_first) <= counter && counter <= Number(r.id_last) && holdsCounter(Number(r.id_first), r.id_offsets!, counter));
}
