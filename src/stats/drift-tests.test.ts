import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Values } from './binning.js';
import { andersonDarling } from './anderson-darling.js';
import { cramerVonMises } from './cramer-von-mises.js';
import { chiSquare, hellinger, jensenShannon, klDiv, ks2samp, lInfinity, psi, wassersteinNorm, zTest } from './drift-tests.js';

interface Case {
  name: string;
  kind: 'num' | 'cat';
  reference: (number | string)[];
  current: (number | string)[];
  psi: number;
  kl_div: number;
  jensenshannon: number;
  hellinger: number;
  ks?: [number, number];
  cvm?: [number, number];
  anderson?: [number, number];
  wasserstein?: number;
  chisquare?: [number, number];
  l_infinity?: number;
  z?: [number, number];
}

const FIX = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'stats', 'drift-cases.json');
const { cases } = JSON.parse(fs.readFileSync(FIX, 'utf8')) as { cases: Case[] };

/** 1e-9 relative for statistics and distances. */
const close = (actual: number, expected: number | string) => {
  expected = Number(expected);
  if (!Number.isFinite(expected)) return expect(actual).toBe(expected);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
};
/** 1e-6 absolute for p-values. */
const closeP = (actual: number | null, expected: number | string) => expect(Math.abs((actual ?? NaN) - Number(expected))).toBeLessThanOrEqual(1e-6);

describe.each(cases)('drift tests match scipy and Evidently: $name', (c) => {
  const ref = c.reference as Values;
  const cur = c.current as Values;
  it('distances on Evidently bins (PSI, KL, Jensen–Shannon, Hellinger)', () => {
    close(psi(ref, cur, c.kind).statistic, c.psi);
    close(klDiv(ref, cur, c.kind).statistic, c.kl_div);
    close(jensenShannon(ref, cur, c.kind).statistic, c.jensenshannon);
    close(hellinger(ref, cur, c.kind).statistic, c.hellinger);
  });
  if (c.kind === 'num') {
    it('Kolmogorov–Smirnov statistic and p-value, Wasserstein normed', () => {
      const ks = ks2samp(c.reference as number[], c.current as number[]);
      close(ks.statistic, c.ks![0]);
      closeP(ks.pValue, c.ks![1]);
      close(wassersteinNorm(c.reference as number[], c.current as number[]).statistic, c.wasserstein!);
    });
    if (c.anderson) {
      it('Anderson–Darling k-sample statistic and (capped) p-value', () => {
        const r = andersonDarling([c.reference as number[], c.current as number[]]);
        close(r.statistic, c.anderson![0]);
        closeP(r.pValue, c.anderson![1]);
      });
    }
    if (c.cvm) {
      it('Cramér–von Mises statistic and p-value (exact up to 20 values per side)', () => {
        const r = cramerVonMises(c.reference as number[], c.current as number[]);
        close(r.statistic, c.cvm![0]);
        closeP(r.pValue, c.cvm![1]);
      });
    }
  } else {
    it('chi-squared and Z-test for proportions', () => {
      const chi = chiSquare(ref, cur);
      close(chi.statistic, c.chisquare![0]);
      // With one category on both sides the test has no degrees of freedom and scipy answers NaN
      // (Evidently then reports no drift); Sextant reports p = 1, no drift, explicitly.
      if (Number.isNaN(Number(c.chisquare![1]))) expect(chi.pValue).toBe(1);
      else closeP(chi.pValue, c.chisquare![1]);
      const z = zTest(ref, cur);
      close(Math.abs(z.statistic), Math.abs(c.z![0]));
      closeP(z.pValue, c.z![1]);
    });
    it('L-infinity distance of category shares', () => {
      const l = lInfinity(ref, cur);
      close(l.statistic, c.l_infinity!);
      expect(l.drifted).toBe(c.l_infinity! > 0.1);
    });
  }
});
