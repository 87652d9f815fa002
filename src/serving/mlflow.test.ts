import { describe, expect, it } from 'vitest';
import type { OutputTensor } from '../runtime/index.js';
import { mlflowResponse } from './mlflow.js';

describe('mlflowResponse', () => {
  it('answers a value per row for one output and an object per row, in output order, for several', () => {
    const label: OutputTensor = { name: 'label', datatype: 'INT64', shape: [3], data: [1, 0, 1] };
    const probabilities: OutputTensor = { name: 'probabilities', datatype: 'FP64', shape: [3, 2], data: [0.1, 0.9, 0.8, 0.2, 0.3, 0.7] };
    expect(mlflowResponse([label], 3)).toEqual({ predictions: [1, 0, 1] });
    expect(mlflowResponse([probabilities], 3)).toEqual({ predictions: [[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]] });
    const both = mlflowResponse([label, probabilities], 3);
    expect(both).toEqual({ predictions: [{ label: 1, probabilities: [0.1, 0.9] }, { label: 0, probabilities: [0.8, 0.2] }, { label: 1, probabilities: [0.3, 0.7] }] });
    expect(Object.keys(both.predictions[0] as object)).toEqual(['label', 'probabilities']);
  });

  it('flattens the trailing dimensions of a row and keeps an empty row for a zero-width output', () => {
    const cube: OutputTensor = { name: 'y', datatype: 'FP64', shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] };
    expect(mlflowResponse([cube], 2)).toEqual({ predictions: [[1, 2, 3, 4], [5, 6, 7, 8]] });
    const empty: OutputTensor = { name: 'e', datatype: 'FP64', shape: [2, 0], data: [] };
    const names: OutputTensor = { name: 's', datatype: 'BYTES', shape: [2], data: ['a', 'b'] };
    expect(mlflowResponse([empty, names], 2)).toEqual({ predictions: [{ e: [], s: 'a' }, { e: [], s: 'b' }] });
  });
});
