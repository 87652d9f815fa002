import { describe, expect, it } from 'vitest';
import { classifyInputError, dataQuality } from './data-quality.js';

describe('data quality checks', () => {
  const reference = { age: [20, 30, 40, 50, null], city: ['a', 'b', 'a', 'c', 'b'] };

  it('passes a window like the reference', () => {
    const r = dataQuality(reference, { age: [25, 35, 45, 30], city: ['a', 'c', 'b', 'a'] }, [], 4);
    expect(r.failed).toEqual([]);
    expect(r.checks.map((c) => `${c.rule}:${c.feature}`)).toEqual(['missing_share:age', 'out_of_range:age', 'missing_share:city', 'new_categories:city', 'type_errors:null', 'schema_violations:null']);
  });

  it('flags missing values beyond the reference share, out-of-range numbers, new categories and refused requests', () => {
    const current = { age: [null, null, 45, 90, 10, 30, 30, 30, 30, 30], city: ['a', 'z', 'z', 'b', 'a', 'a', 'a', 'a', 'a', 'a'] };
    const refusals = ['feature age in row 0: expected a number, got string "old"', 'missing required feature city', 'model m/1 failed to predict: boom'];
    const r = dataQuality(reference, current, refusals, 20);
    const failed = Object.fromEntries(r.failed.map((c) => [`${c.rule}:${c.feature}`, c.value]));
    // age: 2 of 10 missing vs 1 of 5 in the reference (0.2 - 0.2 = 0) passes; 2 of 8 values out of [20, 50].
    expect(failed['missing_share:age']).toBeUndefined();
    expect(failed['out_of_range:age']).toBe(0.25);
    expect(failed['new_categories:city']).toBe(0.2);
    expect(failed['type_errors:null']).toBe(0.05);
    expect(failed['schema_violations:null']).toBe(0.05);
    const more = dataQuality(reference, { age: [null, null, null, 30], city: ['a', 'a', 'a', 'a'] }, [], 4);
    expect(more.failed.map((c) => [c.rule, c.feature, c.value])).toEqual([['missing_share', 'age', 0.75]]);
  });

  it('classifies refusals by the message the serving layer gives', () => {
    expect(classifyInputError('input x: element 3 is string, not valid for datatype FP32')).toBe('type_errors');
    expect(classifyInputError('expected 4 features per row in signature order (a, b, c, d), got 3')).toBe('schema_violations');
    expect(classifyInputError('feature amount is missing in row 2; this model does not accept missing values')).toBe('schema_violations');
    expect(classifyInputError('deployment d is not ready')).toBeNull();
  });
});
