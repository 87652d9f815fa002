import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cbpeBinary, cbpeBinaryComponents, cbpeBinarySamplingErrors, cbpeMulticlass, cbpeMulticlassComponents, cbpeMulticlassSamplingErrors, estimateRocAuc, withBand } from './cbpe.js';

/** Written by test/fixtures/make_cbpe_fixtures.py (NannyML's formulas in numpy, point estimates checked against scikit-learn). */
const FIX = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/stats/cbpe-cases.json'), 'utf8')) as {
  binary: {
    name: string;
    reference: { truth: number[]; predicted: number[]; scores: number[] };
    current: { predicted: number[]; scores: number[] };
    estimates: Record<string, number>;
    components: Record<string, [number, number]>;
    samplingErrors: Record<string, number>;
  }[];
  multiclass: {
    name: string;
    reference: { truth: number[]; predicted: number[]; probabilities: number[][] };
    current: { predicted: number[]; probabilities: number[][] };
    estimates: Record<string, number>;
    samplingErrors: Record<string, number>;
  }[];
  rocAuc: { scores: number[]; value: number; sklearnWeighted: number }[];
};

const close = (got: Record<string, number>, want: Record<string, number>, digits: number, what: string) => {
  for (const [k, v] of Object.entries(want)) expect(got[k], `${what} ${k}`).toBeCloseTo(v, digits);
};

describe('CBPE against NannyML’s formulas in numpy and scikit-learn', () => {
  it.each(FIX.binary.map((c) => [c.name, c] as const))('binary %s: estimates, sampling-error components and errors', (_name, c) => {
    close(cbpeBinary(c.current.scores, c.current.predicted), c.estimates, 12, 'estimate');
    const comp = cbpeBinaryComponents(c.reference.truth, c.reference.predicted, c.reference.scores);
    for (const [k, [s, share]] of Object.entries(c.components)) {
      expect(comp[k as keyof typeof comp][0], k).toBeCloseTo(s, 12);
      expect(comp[k as keyof typeof comp][1], k).toBeCloseTo(share, 12);
    }
    close(cbpeBinarySamplingErrors(comp, c.current.scores.length), c.samplingErrors, 12, 'sampling error');
  });

  it.each(FIX.multiclass.map((c) => [c.name, c] as const))('multiclass %s, one-vs-rest: estimates and sampling errors', (_name, c) => {
    close(cbpeMulticlass(c.current.probabilities, c.current.predicted), c.estimates, 12, 'estimate');
    const comp = cbpeMulticlassComponents(c.reference.truth, c.reference.predicted, c.reference.probabilities);
    close(cbpeMulticlassSamplingErrors(comp, c.current.predicted.length), c.samplingErrors, 12, 'sampling error');
  });

  it('estimates ROC AUC on tied and extreme scores as NannyML does, within 2/n of the exact expected AUC', () => {
    for (const c of FIX.rocAuc) {
      expect(estimateRocAuc(c.scores)).toBeCloseTo(c.value, 12);
      expect(Math.abs(estimateRocAuc(c.scores) - c.sklearnWeighted)).toBeLessThan(2 / c.scores.length);
    }
  });

  it('bands an estimate by three sampling errors, clipped to the metric’s range', () => {
    expect(withBand(0.9, 0.05, 0, 1)).toEqual({ value: 0.9, samplingError: 0.05, lower: 0.9 - 0.15, upper: 1 });
    expect(withBand(Number.NaN, 0.05)).toEqual({ value: null, samplingError: 0.05, lower: null, upper: null });
  });
});
