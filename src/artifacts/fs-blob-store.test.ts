import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from './fs-blob-store.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function store(): { root: string; blobs: FsBlobStore } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-fs-blobs-'));
  roots.push(root);
  return { root, blobs: new FsBlobStore(root) };
}

describe('FsBlobStore.putBytes', () => {
  it('leaves no temporary file behind when the blob already existed', async () => {
    const { root, blobs } = store();
    const bytes = randomBytes(100_000);
    expect((await blobs.putBytes(bytes, { durable: false })).created).toBe(true);
    expect((await blobs.putBytes(bytes, { durable: false })).created).toBe(false);
    expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });

  it.each([true, false])('makes a folder again when it was removed after this store made it (durable: %s)', async (durable) => {
    const { root, blobs } = store();
    const first = await blobs.putBytes(Buffer.from('first'), { durable });
    const prefix = first.digest.slice(0, 2);
    fs.rmSync(path.join(root, 'sha256', prefix), { recursive: true });
    // Another content whose digest falls in the same folder.
    let other: string;
    do other = randomBytes(16).toString('hex');
    while (createHash('sha256').update(other).digest('hex').slice(0, 2) !== prefix);
    const put = await blobs.putBytes(Buffer.from(other), { durable });
    expect(put.created).toBe(true);
    expect(await text(await blobs.get(put.digest))).toBe(other);
  });

  it('writes bytes that need not be durable in place, leaving an existing blob as it was', async () => {
    const { root, blobs } = store();
    const bytes = randomBytes(1000);
    const put = await blobs.putBytes(bytes, { durable: false });
    const file = path.join(root, 'sha256', put.digest.slice(0, 2), put.digest);
    const written = fs.statSync(file);
    expect(await blobs.putBytes(bytes, { durable: false })).toEqual({ ...put, created: false });
    expect(fs.statSync(file).mtimeMs).toBe(written.mtimeMs);
    expect(fs.statSync(file).ino).toBe(written.ino);
    expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });
});
