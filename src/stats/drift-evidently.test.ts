import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Values } from './binning.js';
import { defaultTest, DRIFT_TESTS, runTest, TEST_NAMES, type TestName } from './drift-report.js';

/** What Evidently's legacy stattests answer (restated on scipy by test/fixtures/make_evidently_fixtures.py). */
interface Case {
  name: string;
  kind: 'num' | 'cat';
  reference: (number | string | null)[];
  current: (number | string | null)[];
  default: string;
  tests: Record<string, { score: number | string; drifted: boolean; threshold: number } | { error: string }>;
}

const FIX = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'stats', 'evidently-cases.json');
const { cases } = JSON.parse(fs.readFileSync(FIX, 'utf8')) as { cases: Case[] };

/** Numbers columns encode ±infinity as strings (JSON has none); missing values are null. */
const decode = (c: Case, xs: Case['reference']): Values => (c.kind === 'num' ? xs.map((v) => (v === '+inf' ? Infinity : v === '-inf' ? -Infinity : v)) : xs);

describe.each(cases)('as Evidently: $name', (c) => {
  const ref = decode(c, c.reference);
  const cur = decode(c, c.current);
  it(`chooses ${c.default} by default (after dropping missing and infinite values)`, () => {
    expect(defaultTest(ref, cur, c.kind)).toBe(c.default);
  });
  const names = Object.keys(c.tests).filter((t): t is TestName => (TEST_NAMES as string[]).includes(t));
  it.each(names)('%s: the same score to 1e-6, the same verdict, the same default threshold', (name) => {
    const expected = c.tests[name]!;
    if ('error' in expected) {
      expect(() => runTest(name, ref, cur, c.kind)).toThrow(RangeError);
      return;
    }
    const r = runTest(name, ref, cur, c.kind);
    expect(r.threshold).toBe(expected.threshold);
    expect(r.threshold).toBe(DRIFT_TESTS[name].threshold);
    expect(r.drifted).toBe(expected.drifted);
    const isP = DRIFT_TESTS[name].rule.startsWith('p');
    const actual = isP ? r.pValue! : r.statistic;
    if (expected.score === 'NaN') {
      // scipy has no degrees of freedom left (one category on both sides) and answers NaN, which
      // Evidently reads as no drift; Sextant says p = 1 and no drift.
      expect(actual).toBe(1);
    } else {
      const e = Number(expected.score);
      if (!Number.isFinite(e)) expect(actual).toBe(e);
      else expect(Math.abs(actual - e)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
    }
  });
});

describe("numpy's legacy generator, as Evidently's permutation test seeds it", () => {
  it('draws the same permutation and the same choice without replacement after np.random.seed(0)', async () => {
    const { Mt19937 } = await import('./mt19937.js');
    const { mt19937 } = JSON.parse(fs.readFileSync(FIX, 'utf8')) as { mt19937: { seed0_permutation_20: number[]; seed0_choice_7_of_12: number[] } };
    const rng = new Mt19937(0);
    expect([...rng.permutation(20)]).toEqual(mt19937.seed0_permutation_20);
    expect([...rng.permutation(12)].slice(0, 7)).toEqual(mt19937.seed0_choice_7_of_12);
  });
});
