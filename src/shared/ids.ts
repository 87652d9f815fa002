import { randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;

/**
 * Time-ordered UUID (version 7): ids sort in creation order, so "newest first" stays stable even
 * when two rows share a millisecond. A counter in the random bits keeps order within one process.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    seq += 1;
    if (seq > 0xfff) {
      ms = lastMs + 1;
      seq = 0;
    }
  } else seq = 0;
  lastMs = ms;
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// A random per-process prefix plus a counter: unique across processes and restarts without
// paying for randomness on every request (it showed in inference profiles). The prediction log
// relies on the form: it finds a logged request by its prefix and counter instead of indexing
// every id (see monitoring/own-request-ids.ts).
const PREFIX_LENGTH = 12;
const requestPrefix = randomBytes(9).toString('base64url');
let requestCounter = 0;

/** Request ids are short, URL-safe and unique: they join feedback to predictions. */
export const newRequestId = (): string => `${requestPrefix}${(requestCounter++).toString(36)}`;

/**
 * The counter of an id in `newRequestId`'s form (after the prefix, 1 to 10 base-36 digits as
 * `toString(36)` writes them, so no leading zero), else -1: the prefix and the counter give the
 * id back exactly.
 */
function counterOf(id: string): number {
  const n = id.length;
  if (n <= PREFIX_LENGTH || n > PREFIX_LENGTH + 10 || (n > PREFIX_LENGTH + 1 && id.charCodeAt(PREFIX_LENGTH) === 48)) return -1;
  let counter = 0;
  // By hand rather than by regular expression and parseInt: the log reads every request's counter.
  for (let i = PREFIX_LENGTH; i < n; i++) {
    const c = id.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 122 ? c - 87 : -1;
    if (digit < 0) return -1;
    counter = counter * 36 + digit;
  }
  return counter;
}

/** The counter of an id `newRequestId` made in this process, else -1. */
export function ownRequestCounter(id: string): number {
  return id.startsWith(requestPrefix) ? counterOf(id) : -1;
}

/** This process's request id prefix. */
export const ownRequestPrefix = (): string => requestPrefix;

const PREFIX = /^[A-Za-z0-9_-]{12}/;

/**
 * The process prefix and counter of an id in the form `newRequestId` makes, else null. A caller's
 * own id can have this form too: the form says where to look, not that the id was made here.
 */
export function requestIdParts(id: string): { prefix: string; counter: number } | null {
  const counter = counterOf(id);
  return counter < 0 || !PREFIX.test(id) ? null : { prefix: id.slice(0, PREFIX_LENGTH), counter };
}
