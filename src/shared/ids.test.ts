import { describe, expect, it } from 'vitest';
import { newId, newRequestId, ownRequestCounter, ownRequestPrefix, requestIdParts } from './ids.js';

describe('newId', () => {
  it('is a version-7 UUID that sorts in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('newRequestId', () => {
  it('is this process\'s prefix and a counter, which ownRequestCounter and requestIdParts read back; other forms read as none', () => {
    const ids = Array.from({ length: 100 }, () => newRequestId());
    const counters = ids.map(ownRequestCounter);
    expect(counters.slice(1).every((c, i) => c === counters[i]! + 1)).toBe(true);
    expect(ids.map(requestIdParts)).toEqual(counters.map((counter) => ({ prefix: ownRequestPrefix(), counter })));
    const prefix = ownRequestPrefix();
    expect(ownRequestCounter(`${prefix}zz`)).toBe(36 * 35 + 35);
    expect(ownRequestCounter(`${prefix}${(2 ** 51).toString(36)}`)).toBe(2 ** 51);
    // Another process's id has the form but not this process's prefix.
    expect(ownRequestCounter('ABCDEFGHIJKL7')).toBe(-1);
    expect(requestIdParts('ABCDEFGHIJKL7')).toEqual({ prefix: 'ABCDEFGHIJKL', counter: 7 });
    expect(ownRequestCounter(`${prefix}0`)).toBe(0);
    // A leading zero would not give the id back from the prefix and the counter.
    for (const other of ['550e8400-e29b-41d4-a716-446655440000', 'short', 'ABCDEFGHIJKL', 'ABCDEFGHIJKLZ', 'ABCDEFGHIJKL12345678901', 'ABCDEFGHIJ.L12', 'ABCDEFGHIJKL07', `${prefix}`, `${prefix}A`, `${prefix}0a`]) {
      expect([other, requestIdParts(other), ownRequestCounter(other)]).toEqual([other, null, -1]);
    }
  });
});
