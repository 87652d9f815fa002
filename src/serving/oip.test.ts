import { describe, expect, it } from 'vitest';
import { parseOipRequest } from './oip.js';

const features = [{ name: 'a' }, { name: 'b' }];

describe('OIP tensor data', () => {
  it('reads nested lists in row-major order, as flat data', () => {
    const nested = parseOipRequest({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP64', data: [[1, 2], [3, [4]]] }] }, features);
    const flat = parseOipRequest({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP64', data: [1, 2, 3, 4] }] }, features);
    expect(nested.input).toEqual(flat.input);
  });

  it('refuses data nested deeper than any tensor, naming the input, instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(() => parseOipRequest({ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [deep] }] }, features)).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: 'input x: data is nested deeper than 32 lists' }),
    );
  });
});
