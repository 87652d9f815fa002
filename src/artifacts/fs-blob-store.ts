import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newId } from '../shared/ids.js';
import type { BlobStore, PutOptions, PutResult } from './blob-store.js';
import { assertDigest, DigestVerifier, digestMismatch, HashingCounter, sha256Hex } from './hashing.js';

/** Blobs in a local folder: `sha256/ab/<digest>`, written to `tmp/` first and renamed into place. */
export class FsBlobStore implements BlobStore {
  readonly location: string;
  /** Folders of `sha256/` known to exist. */
  private readonly folders = new Set<string>();

  constructor(private readonly root: string) {
    this.location = root;
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    fs.mkdirSync(path.join(root, 'sha256'), { recursive: true });
  }

  private pathOf(digest: string): string {
    assertDigest(digest);
    return path.join(this.root, 'sha256', digest.slice(0, 2), digest);
  }

  async put(body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const tmp = path.join(this.root, 'tmp', newId());
    const counter = new HashingCounter(options.maxBytes, options.onProgress);
    try {
      const out = fs.createWriteStream(tmp, { flags: 'wx' });
      await pipeline(body, counter, out);
      const digest = counter.digest();
      if (options.expectedDigest && options.expectedDigest !== digest) throw digestMismatch(options.expectedDigest, digest);
      // fsync before rename: a version row must never point at a blob a crash could lose.
      const fh = await fs.promises.open(tmp, 'r');
      await fh.sync();
      await fh.close();
      const final = this.pathOf(digest);
      await fs.promises.mkdir(path.dirname(final), { recursive: true });
      const existed = await exists(final);
      if (existed) await fs.promises.rm(tmp, { force: true });
      else await fs.promises.rename(tmp, final);
      return { digest, size: counter.bytes, created: !existed };
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Durable bytes: one write to a temporary file, synced, then a rename. Bytes that need not be
   * durable are written straight under their name (`inPlace`). Each step waits for a turn of the
   * event loop, which under load is milliseconds, so the steps that need not wait for each other
   * do not: the check for an existing blob runs beside the write, and a folder once made is not
   * made again.
   */
  async putBytes(bytes: Uint8Array, options: { durable?: boolean } = {}): Promise<PutResult> {
    const digest = await sha256Hex(bytes);
    const final = this.pathOf(digest);
    if (options.durable === false) return this.inPlace(final, bytes, digest);
    const tmp = path.join(this.root, 'tmp', newId());
    try {
      const [existed] = await Promise.all([
        exists(final),
        (async () => {
          const fh = await fs.promises.open(tmp, 'wx');
          try {
            await fh.write(bytes);
            await fh.sync();
          } finally {
            await fh.close();
          }
        })(),
      ]);
      if (existed) {
        await fs.promises.rm(tmp, { force: true });
        return { digest, size: bytes.byteLength, created: false };
      }
      await this.intoFolder(final, () => fs.promises.rename(tmp, final));
      return { digest, size: bytes.byteLength, created: true };
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Writes bytes under their final name, creating the file only if it is absent (an existing blob
   * holds the same bytes). One write instead of a temporary file, an existence check that fails
   * (an error object each time) and a rename: the prediction log writes a segment this way several
   * times a second per process. A crash mid-write can leave a partial blob; it fails its digest
   * check when read, and no row names it, since the log inserts a segment's row after its blob.
   */
  private async inPlace(final: string, bytes: Uint8Array, digest: string): Promise<PutResult> {
    try {
      await this.intoFolder(final, () => fs.promises.writeFile(final, bytes, { flag: 'wx' }));
      return { digest, size: bytes.byteLength, created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { digest, size: bytes.byteLength, created: false };
      await fs.promises.rm(final, { force: true });
      throw err;
    }
  }

  /**
   * Runs `place` (a write or rename to `file`) once the file's folder exists: made once per store,
   * and again when `place` finds it gone (removed since it was made here).
   */
  private async intoFolder(file: string, place: () => Promise<void>): Promise<void> {
    const folder = path.dirname(file);
    const make = async () => {
      await fs.promises.mkdir(folder, { recursive: true });
      this.folders.add(folder);
    };
    if (!this.folders.has(folder)) await make();
    await place().catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await make();
      await place();
    });
  }

  async get(digest: string): Promise<Readable> {
    const file = this.pathOf(digest);
    await fs.promises.access(file).catch(() => {
      throw Object.assign(new Error(`blob ${digest} not found`), { code: 'BLOB_NOT_FOUND' });
    });
    return fs.createReadStream(file).pipe(new DigestVerifier(digest));
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const file = this.pathOf(digest);
    try {
      const s = await fs.promises.stat(file);
      return { size: s.size };
    } catch {
      return null;
    }
  }

  async delete(digest: string): Promise<void> {
    await fs.promises.rm(this.pathOf(digest), { force: true });
  }

  async ping(): Promise<void> {
    await fs.promises.access(path.join(this.root, 'tmp'), fs.constants.W_OK);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.promises.access(p).then(
    () => true,
    () => false,
  );
}
