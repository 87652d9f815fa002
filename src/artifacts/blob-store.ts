import type { Readable } from 'node:stream';

export interface PutOptions {
  /** sha256 the client claims; a different upload is refused and nothing is kept. */
  expectedDigest?: string;
  /** Refuse uploads larger than this many bytes (payload_too_large). */
  maxBytes?: number;
  /** Called with the running byte count as data arrives. */
  onProgress?: (bytes: number) => void;
}

export interface PutResult {
  digest: string;
  size: number;
  /** False when a blob with this digest was already stored (content addressing deduplicates). */
  created: boolean;
}

/**
 * Content-addressed blob storage. Blobs are named by their sha256; writes stream through a hash
 * and land atomically under their digest, so a failed upload leaves nothing behind.
 */
export interface BlobStore {
  /** Streams `body` into the store, hashing while writing; never buffers the whole blob. */
  put(body: Readable, options?: PutOptions): Promise<PutResult>;
  /**
   * Stores bytes already in memory, in one write rather than through a stream (the prediction log
   * puts a segment at a time). `durable: false` skips syncing them to disk before they are named,
   * for data that may be lost with the machine (as SQLite's WAL with `synchronous = NORMAL`); an
   * adapter may then write them in place, so a crash can leave a partial blob, which fails its
   * digest check when read.
   */
  putBytes(bytes: Uint8Array, options?: { durable?: boolean }): Promise<PutResult>;
  /** Streams a blob back; the stream errors if the bytes no longer match the digest. */
  get(digest: string): Promise<Readable>;
  /** Size of a stored blob, or null when absent. */
  stat(digest: string): Promise<{ size: number } | null>;
  /** Removes a blob; absent blobs are not an error. */
  delete(digest: string): Promise<void>;
  /** Cheap reachability probe for /readyz. */
  ping(): Promise<void>;
  /** Human-readable location, for logs. */
  readonly location: string;
}
