import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore, S3BlobStore, type BlobStore } from '../src/artifacts/index.js';
import { AppError } from '../src/shared/app-error.js';
import { tempDir } from './helpers/app.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that yields `total` bytes in small chunks, as a network upload does. */
function chunked(data: Buffer, chunk = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
    })(),
  );
}

interface Target {
  name: string;
  setup(): Promise<{ store: BlobStore; corrupt(digest: string): Promise<void>; leftovers(): Promise<number>; teardown(): Promise<void> }>;
}

const fsTarget: Target = {
  name: 'filesystem',
  setup: async () => {
    const root = tempDir('sextant-blobs-');
    return {
      store: new FsBlobStore(root),
      corrupt: async (digest) => fs.appendFileSync(path.join(root, 'sha256', digest.slice(0, 2), digest), 'x'),
      leftovers: async () => fs.readdirSync(path.join(root, 'tmp')).length,
      teardown: async () => fs.rmSync(root, { recursive: true, force: true }),
    };
  },
};

const s3Target: Target = {
  name: 's3 (s3rver in-process)',
  setup: async () => {
    const dir = tempDir('sextant-s3rver-');
    const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'models' }] });
    const { port } = await server.run();
    const opts = {
      bucket: 'models',
      prefix: 'sextant/test',
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    };
    const store = new S3BlobStore(opts);
    const { S3Client, PutObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const raw = new S3Client({ ...opts, requestChecksumCalculation: 'WHEN_REQUIRED' });
    return {
      store,
      corrupt: async (digest) => {
        await raw.send(new PutObjectCommand({ Bucket: 'models', Key: `sextant/test/sha256/${digest.slice(0, 2)}/${digest}`, Body: 'tampered' }));
      },
      leftovers: async () => {
        const r = await raw.send(new ListObjectsV2Command({ Bucket: 'models', Prefix: 'sextant/test/tmp/' }));
        return r.KeyCount ?? 0;
      },
      teardown: async () => {
        await server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

describe.each([fsTarget, s3Target])('blob store contract on $name', (target) => {
  let t: Awaited<ReturnType<Target['setup']>>;
  beforeAll(async () => {
    t = await target.setup();
  });
  afterAll(async () => t?.teardown());

  it('stores by sha256, streams back the same bytes, and deduplicates', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    let progress = 0;
    const put = await t.store.put(chunked(data), { onProgress: (n) => (progress = n) });
    expect(put).toEqual({ digest: sha(data), size: data.length, created: true });
    expect(progress).toBe(data.length);
    expect((await readAll(await t.store.get(put.digest))).equals(data)).toBe(true);
    expect(await t.store.stat(put.digest)).toEqual({ size: data.length });
    expect((await t.store.put(chunked(data))).created).toBe(false);
    expect(await t.leftovers()).toBe(0);
  });

  it('stores bytes in memory by sha256 in one write, durable or not, and deduplicates with streamed blobs', async () => {
    const data = randomBytes(200_000);
    expect(await t.store.putBytes(data, { durable: false })).toEqual({ digest: sha(data), size: data.length, created: true });
    expect((await readAll(await t.store.get(sha(data)))).equals(data)).toBe(true);
    expect(await t.store.putBytes(data)).toEqual({ digest: sha(data), size: data.length, created: false });
    expect((await t.store.put(chunked(data))).created).toBe(false);
    const view = new Uint8Array(data.buffer, data.byteOffset + 5, 1000);
    expect((await t.store.putBytes(view)).digest).toBe(sha(Buffer.from(view)));
    expect(await t.leftovers()).toBe(0);
  });

  it('refuses a digest mismatch and keeps nothing', async () => {
    const data = Buffer.from('mismatch me');
    const err = await t.store.put(chunked(data), { expectedDigest: 'f'.repeat(64) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_argument');
    expect(await t.store.stat(sha(data))).toBeNull();
    expect(await t.leftovers()).toBe(0);
  });

  it('enforces the size limit while streaming', async () => {
    const data = randomBytes(200_000);
    const err = await t.store.put(chunked(data, 10_000), { maxBytes: 100_000 }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('payload_too_large');
    expect(await t.store.stat(sha(data))).toBeNull();
    expect(await t.leftovers()).toBe(0);
  });

  it('fails the read stream when stored bytes no longer match their digest', async () => {
    const data = Buffer.from('soon to be corrupted');
    const { digest } = await t.store.put(chunked(data));
    await t.corrupt(digest);
    await expect(readAll(await t.store.get(digest))).rejects.toThrow(/corrupt/);
  });

  it('deletes, reports absence, and answers ping', async () => {
    const { digest } = await t.store.put(chunked(Buffer.from('delete me')));
    await t.store.delete(digest);
    expect(await t.store.stat(digest)).toBeNull();
    await t.store.delete(digest);
    await expect(t.store.get(digest)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    await expect(t.store.ping()).resolves.toBeUndefined();
    await expect(t.store.stat('../../etc/passwd')).rejects.toThrow(/not a sha256/);
    await expect(t.store.get('../../etc/passwd')).rejects.toThrow(/not a sha256/);
  });
});
