import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../shared/app-error.js';

/** Bytes hashed between two turns of the event loop: about 2.5 ms at 1.6 GB/s. */
const SLICE = 4 * 1024 * 1024;

/**
 * sha256 of bytes in memory, hex. Hashed here a slice at a time, the event loop free between
 * slices (a segment of the log can be megabytes), rather than in the thread pool: the asynchronous
 * digest first copies its input into newly allocated memory, which cost more than the hash.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.byteLength; at += SLICE) {
    if (at > 0) await new Promise(setImmediate);
    hash.update(bytes.subarray(at, at + SLICE));
  }
  return hash.digest('hex');
}

/** Pass-through that hashes and counts bytes, and enforces a size limit as data flows. */
export class HashingCounter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      cb(new AppError('payload_too_large', `artifact exceeds the limit of ${this.maxBytes} bytes`, { limit: this.maxBytes }));
      return;
    }
    this.hash.update(chunk);
    this.onProgress?.(this.bytes);
    cb(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Pass-through that fails at the end when the bytes read do not hash to `expected`. */
export class DigestVerifier extends Transform {
  private readonly hash = createHash('sha256');

  constructor(private readonly expected: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expected) {
      cb(new AppError('internal', `artifact ${this.expected} is corrupt: stored bytes hash to ${actual}`));
      return;
    }
    cb();
  }
}

export function assertDigest(digest: string): void {
  if (!/^[0-9a-f]{64}$/.test(digest)) throw new AppError('invalid_argument', `not a sha256 digest: ${digest}`);
}

export function digestMismatch(expected: string, actual: string): AppError {
  return new AppError('invalid_argument', `digest mismatch: the client said ${expected} but the upload hashes to ${actual}; nothing was stored`, {
    field: 'digest',
    expected,
    actual,
  });
}
