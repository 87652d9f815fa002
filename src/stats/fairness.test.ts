import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fairnessMetrics } from './fairness.js';

const DIR = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'fairness');
const { cases } = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
  cases: { name: string; file: string; model?: string; label: string; prediction?: string; score?: string; cutoff?: number; sensitive: string; privileged: string; [k: string]: unknown }[];
};

function columns(file: string): Record<string, string[]> {
  const [head, ...lines] = fs.readFileSync(path.join(DIR, file), 'utf8').trim().split(/\r?\n/);
  const names = head!.split(',');
  const out: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const l of lines) l.split(',').forEach((v, i) => out[names[i]!]!.push(v));
  return out;
}

/** Numbers compared to 1e-12, nulls and booleans exactly, objects key by key. */
function same(actual: unknown, wanted: unknown, at: string): void {
  if (typeof wanted === 'number') return void expect(Math.abs((actual as number) - wanted), at).toBeLessThan(1e-12);
  if (wanted && typeof wanted === 'object') {
    expect(Object.keys(actual as object).sort(), at).toEqual(Object.keys(wanted).sort());
    for (const [k, v] of Object.entries(wanted)) same((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
    return;
  }
  expect(actual, at).toBe(wanted);
}

// Cases with a model are scored by a registered version: test/fairness.test.ts.
describe.each(cases.filter((c) => !c.model))('fairness metrics match numpy/sklearn by Fairlearn’s definitions: $name', (c) => {
  it('groups, parity, equalized odds, disparate impact and the four-fifths rule', () => {
    const cols = columns(c.file);
    const labels = cols[c.label]!.map(Number);
    const predictions = c.prediction ? cols[c.prediction]!.map(Number) : cols[c.score!]!.map((s) => (Number(s) >= c.cutoff! ? 1 : 0));
    const explicit = c.name.includes('privileged') ? c.privileged : undefined;
    const m = fairnessMetrics(labels, predictions, cols[c.sensitive]!, explicit);
    for (const key of ['privileged', 'groups', 'demographicParityDifference', 'demographicParityRatio', 'equalizedOddsDifference', 'disparateImpact', 'fourFifthsRule']) {
      same((m as unknown as Record<string, unknown>)[key], c[key], key);
    }
  });
});
