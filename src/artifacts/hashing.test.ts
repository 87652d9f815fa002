import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './hashing.js';

describe('sha256Hex', () => {
  it('equals a one-shot sha256 for empty, small, and multi-slice inputs, including a view into a larger buffer', async () => {
    const big = randomBytes(1_300_000);
    for (const bytes of [new Uint8Array(0), big.subarray(0, 100), big, big.subarray(7, 1_200_007)]) {
      expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
