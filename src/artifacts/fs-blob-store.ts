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
   * One write to a temporary file, then a rename. Each step waits for a turn of the event loop,
   * which under load is milliseconds, so the steps that need not wait for each other do not: the
   * check for an existing blob runs beside the write, and a folder once made is not made again.
   */
  async putBytes(bytes: Uint8Array, options: { durable?: boolean } = {}): Promise<PutResult> {
    const digest = await sha256Hex(bytes);
    const final = this.pathOf(digest);
    const tmp = path.join(this.root, 'tmp', newId());
    try {
      const [existed] = await Promise.all([
        exists(final),
        (async () => {
          const fh = await fs.promises.open(tmp, 'wx');
          try {
            await fh.write(bytes);
            if (options.durable !== false) await fh.sync();
          } finally {
            await fh.close();
          }
        })(),
      ]);
      if (existed) {
        await fs.promises.rm(tmp, { force: true });
        return { digest, size: bytes.byteLength, created: false };
      }
      const folder = path.dirname(final);
      if (!this.folders.has(folder)) {
        await fs.promises.mkdir(folder, { recursive: true });
        this.folders.add(folder);
      }
      await fs.promises.rename(tmp, final).catch(async (err: NodeJS.ErrnoException) => {
        // The folder was removed since it was made here.
        if (err.code !== 'ENOENT') throw err;
        await fs.promises.mkdir(folder, { recursive: true });
        await fs.promises.rename(tmp, final);
      });
      return { digest, size: bytes.byteLength, created: true };
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
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
