import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPredictor } from '../runtime/index.js';
import { ModelCache, type VersionRecord } from './model-cache.js';

const artifact = new Uint8Array(fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'serving', 'breast-cancer-linear.json')));
const rec = (version: number): VersionRecord => ({ model: 'bc', version, digest: `d${version}`, format: 'sextant-linear', signature: null });

describe('ModelCache', () => {
  it('loads each version once and evicts least-recently-used idle models beyond its memory bound', async () => {
    let loads = 0;
    const released: number[] = [];
    const cache = new ModelCache(
      async (v) => {
        loads++;
        return loadPredictor(v.format, artifact, v.signature);
      },
      5_000,
      (m) => released.push(m.version),
    );
    const [a, again] = await Promise.all([cache.get(rec(1)), cache.get(rec(1))]);
    expect(a).toBe(again);
    expect(loads).toBe(1);
    const b = await cache.get(rec(2));
    const c = await cache.get(rec(3));
    a.lastUsed = 1;
    b.lastUsed = 2;
    c.lastUsed = 3;
    expect(cache.bytes).toBeGreaterThan(5_000);
    b.inflight = 1; // a request is running on version 2: never released under it
    await cache.evict(new Set([c]));
    expect(released).toEqual([1]);
    expect(cache.size).toBe(2);
    b.inflight = 0;
    await cache.evict(new Set([c]));
    expect(released).toEqual([1, 2]);
    expect(cache.size).toBe(1);
    expect(await cache.get(rec(3))).toBe(c);
    await cache.get(rec(1));
    expect(loads).toBe(4);
  });
});
