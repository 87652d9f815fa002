/**
 * Memory for the prediction log's segments, by capacity (powers of two), kept for the segments
 * that follow. Under load a segment grows megabytes of arrays and a body of the same size, each
 * living for a flush interval or a write: long enough to be promoted out of V8's young generation.
 * Allocated anew for every segment, they kept the serving processes in mark-compact collections
 * (with 64-row requests, one about every 0.7 s per process), and every new buffer's pages were
 * faulted in again. At most `SPARE_BYTES` are kept.
 */
const spare = new Map<number, ArrayBuffer[]>();
let spareBytes = 0;
const SPARE_BYTES = 32 * 1024 * 1024;

/** An ArrayBuffer of at least `minBytes` (a power of two, 2 KiB or more), recycled when one is kept. */
export function takeBuffer(minBytes: number): ArrayBuffer {
  let capacity = 2048;
  while (capacity < minBytes) capacity *= 2;
  const kept = spare.get(capacity)?.pop();
  if (!kept) return new ArrayBuffer(capacity);
  spareBytes -= capacity;
  return kept;
}

/** Hands a buffer from `takeBuffer` back; nothing may use it afterwards. */
export function giveBuffer(buffer: ArrayBuffer): void {
  if (buffer.byteLength < 2048 || spareBytes + buffer.byteLength > SPARE_BYTES) return;
  let list = spare.get(buffer.byteLength);
  if (!list) spare.set(buffer.byteLength, (list = []));
  list.push(buffer);
  spareBytes += buffer.byteLength;
}
