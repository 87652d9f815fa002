import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dleComponents, dleEstimates } from './dle.js';

/** Written by test/fixtures/make_cbpe_fixtures.py (NannyML's DLE arithmetic and sampling errors in numpy). */
const FIX = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/stats/cbpe-cases.json'), 'utf8')).dle as {
  name: string;
  reference: { truth: number[]; predicted: number[] };
  absoluteErrors: number[];
  squaredErrors: number[];
  mae: number;
  rmse: number;
  maeSamplingError: number;
  rmseSamplingError: number;
}[];

describe('DLE against numpy', () => {
  it.each(FIX.map((c) => [c.name, c] as const))('%s: MAE and RMSE from predicted errors, with NannyML’s sampling errors', (_n, c) => {
    const e = dleEstimates(c.absoluteErrors, c.squaredErrors, dleComponents(c.reference.truth, c.reference.predicted));
    expect(e.mae.value).toBeCloseTo(c.mae, 12);
    expect(e.rmse.value).toBeCloseTo(c.rmse, 12);
    expect(e.mae.samplingError).toBeCloseTo(c.maeSamplingError, 12);
    expect(e.rmse.samplingError).toBeCloseTo(c.rmseSamplingError, 12);
    expect(e.mae.lower).toBeCloseTo(Math.max(0, c.mae - 3 * c.maeSamplingError), 12);
  });
});
