import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Values } from './binning.js';
import { chunkBounds, reconstructionDrift } from './data-reconstruction.js';

interface Case {
  name: string;
  chunkSize: number;
  reference: Record<string, Values>;
  current: Record<string, Values>;
  expected: {
    components: number;
    explained: number[];
    referenceChunks: [number, number, number][];
    mean: number;
    std: number;
    lower: number;
    upper: number;
    currentChunks: [number, number, number, boolean][];
    currentError: number;
  };
}

const FIX = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'stats', 'multivariate-cases.json');
const { cases } = JSON.parse(fs.readFileSync(FIX, 'utf8')) as { cases: Case[] };
const near = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));

describe.each(cases)('data reconstruction as scikit-learn computes it: $name', (c) => {
  const r = reconstructionDrift(c.reference, c.current, { chunkSize: c.chunkSize });
  it('keeps the same number of principal components (65 % of variance) with the same variance ratios', () => {
    expect(r.components).toBe(c.expected.components);
    r.explainedVarianceRatio.forEach((v, i) => near(v, c.expected.explained[i]!));
  });
  it("gives every reference chunk's error, the band, every current chunk's error and alert", () => {
    expect(r.reference.chunks.map((x) => [x.start, x.end])).toEqual(c.expected.referenceChunks.map((x) => [x[0], x[1]]));
    r.reference.chunks.forEach((x, i) => near(x.error, c.expected.referenceChunks[i]![2]));
    near(r.reference.mean, c.expected.mean);
    near(r.reference.std, c.expected.std);
    near(r.reference.lower, c.expected.lower);
    near(r.reference.upper, c.expected.upper);
    expect(r.current.chunks.map((x) => [x.start, x.end, x.alert])).toEqual(c.expected.currentChunks.map((x) => [x[0], x[1], x[3]]));
    r.current.chunks.forEach((x, i) => near(x.error, c.expected.currentChunks[i]![2]));
    near(r.current.error, c.expected.currentError);
    expect(r.drifted).toBe(c.expected.currentChunks.some((x) => x[3]));
  });
});

describe('chunks', () => {
  it('are consecutive; a short last part joins the chunk before it', () => {
    expect(chunkBounds(10, 4)).toEqual([
      [0, 4],
      [4, 10],
    ]);
    expect(chunkBounds(8, 4)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(chunkBounds(3, 4)).toEqual([[0, 3]]);
  });
});
