import { describe, expect, it } from 'vitest';
import { sortFloat64 } from './sort-float64.js';

let seed = 99;
const rand = () => {
  seed = (seed * 48271) % 2147483647;
  return seed / 2147483647;
};

/** Sorts a copy both ways, compares bit for bit (so -0 before 0 counts too), and says which sort finished. */
function check(values: number[], n = values.length, offset = 0): 'radix' | 'builtin' {
  const backing = new Float64Array(offset + values.length);
  backing.set(values, offset);
  const a = backing.subarray(offset);
  const by = sortFloat64(a, n);
  const expected = Float64Array.from(values.slice(0, n)).sort();
  expect(Array.from(a.subarray(0, n), (v) => Object.is(v, -0) ? '-0' : v)).toEqual(Array.from(expected, (v) => Object.is(v, -0) ? '-0' : v));
  expect(Array.from(a.subarray(n))).toEqual(values.slice(n));
  return by;
}

describe('sortFloat64', () => {
  it('sorts as the built-in sort does: signs, zeros, infinities, subnormals and duplicates', () => {
    const special = [0, -0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
    // The radix passes alone order these: the insertion pass after them finds few ties to fix.
    expect(check(Array.from({ length: 5000 }, (_, i) => (i < special.length ? special[i]! : (rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10))))).toBe('radix');
    expect(check(Array.from({ length: 3000 }, () => Math.floor(rand() * 7) - 3))).toBe('radix');
    expect(check(Array.from({ length: 4096 }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())))).toBe('radix');
  });

  it('sorts the first n values of a view that does not start at its buffer, leaving the rest', () => {
    check(Array.from({ length: 4096 }, () => rand() * 100 - 50), 4000, 3);
  });

  it('orders values that agree in their high 32 bits (a narrow range far from zero)', () => {
    // Timestamps in milliseconds a few seconds apart share sign, exponent and the first 20 mantissa bits.
    // Too many ties for the insertion pass: the built-in sort takes over.
    expect(check(Array.from({ length: 4096 }, () => 1.7e12 + Math.floor(rand() * 5000)))).toBe('builtin');
    expect(check(Array.from({ length: 4096 }, (_, i) => (i % 2 ? 1 + rand() * 1e-7 : -1 - rand() * 1e-7)))).toBe('builtin');
  });

  it('sorts short arrays, sorted and reversed input', () => {
    expect(check([3, 1, 2])).toBe('builtin');
    expect(check([])).toBe('builtin');
    expect(check(Array.from({ length: 2048 }, (_, i) => i - 1024))).toBe('radix');
    expect(check(Array.from({ length: 2048 }, (_, i) => 1024 - i))).toBe('radix');
  });
});
