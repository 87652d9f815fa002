import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PiiHasher } from './pii-hasher.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-pii-'));

describe('PiiHasher keys', () => {
  it('hashes alike on every node given the same key, and differently under each home’s own key', () => {
    const key = 'c0ffee'.repeat(10) + 'beef';
    expect(PiiHasher.fromKey(key).hash('Secretia')).toBe(PiiHasher.fromKey(key.toUpperCase()).hash('Secretia'));
    expect(PiiHasher.fromKey(key).hash('Secretia')).toMatch(/^pii:[0-9a-f]{16}$/);
    expect(PiiHasher.fromHome(tempDir()).hash('Secretia')).not.toBe(PiiHasher.fromHome(tempDir()).hash('Secretia'));
    expect(() => PiiHasher.fromKey('short')).toThrow(/64 hex digits/);
  });
});
