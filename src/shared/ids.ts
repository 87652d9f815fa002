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
// paying for randomness on every request (it showed in inference profiles).
const requestPrefix = randomBytes(9).toString('base64url');
let requestCounter = 0;

/** Request ids are short, URL-safe and unique: they join feedback to predictions. */
export const newRequestId = (): string => `${requestPrefix}${(requestCounter++).toString(36)}`;
