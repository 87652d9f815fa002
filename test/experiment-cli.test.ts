import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeStream } from '../src/experiment/index.js';
import { tempDir } from './helpers/app.js';
import { ROOT, runCli } from './helpers/processes.js';

const DATASET = path.join(ROOT, 'assets/datasets/breast-cancer.csv');

describe('sextant experiment', () => {
  it('builds the published drift streams reproducibly, with the concept changes where they say', () => {
    for (const name of ['sea', 'hyperplane', 'agrawal', 'dataset']) {
      const a = makeStream(name, 4000, 3, DATASET);
      expect(a.rows).toHaveLength(4000);
      expect(a.rows[0]!.x).toHaveLength(a.features.length);
      expect(makeStream(name, 4000, 3, DATASET).rows).toEqual(a.rows);
      expect(makeStream(name, 4000, 4, DATASET).rows).not.toEqual(a.rows);
      expect(a.changes.length).toBeGreaterThan(0);
    }
    // SEA: without noise the label is x1 + x2 <= θ; θ is 8 in the first quarter and 7 in the third.
    const sea = makeStream('sea', 40_000, 1, DATASET);
    const agree = (from: number, to: number, theta: number) => {
      const rows = sea.rows.slice(from, to);
      return rows.filter((r) => (r.x[0]! + r.x[1]! <= theta ? 1 : 0) === r.y).length / rows.length;
    };
    expect(agree(0, 10_000, 8)).toBeCloseTo(0.9, 1);
    expect(agree(20_000, 30_000, 7)).toBeCloseTo(0.9, 1);
    expect(agree(20_000, 30_000, 8)).toBeLessThan(0.85);
    expect(() => makeStream('stagger', 10, 1, DATASET)).toThrow(/expected one of sea, hyperplane, agrawal, dataset/);
  });

  it('replays a stream through the three set-ups on live servers and prints the comparison as JSON', async () => {
    const out = tempDir();
    const r = await runCli(['experiment', '--stream', 'sea', '--rows', '4000', '--window-rows', '200', '--human-delay', '2', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.setups.map((s: { name: string }) => s.name)).toEqual(['static', 'monitored', 'automated']);
    for (const s of doc.setups) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['name', 'accuracy', 'p50Ms', 'p99Ms', 'errorRate', 'humanActions', 'retrains', 'valuePer1000', 'valueLostToDrift', 'cpuSecondsRetraining']));
      // Default outcome values (right 1, wrong −1): value per 1,000 is 1,000 × (2 × accuracy − 1).
      expect(s.valuePer1000).toBeCloseTo(1000 * (2 * s.accuracy - 1), 6);
      expect(s.valueLostToDrift).toBeCloseTo(doc.oracle.valuePer1000 - s.valuePer1000, 9);
      expect(s.cpuSecondsRetraining > 0).toBe(s.retrains > 0);
      expect(s.accuracy).toBeGreaterThan(0.5);
      expect(s.accuracy).toBeLessThanOrEqual(1);
      expect(s.p99Ms).toBeGreaterThanOrEqual(s.p50Ms);
      expect(s.errorRate).toBe(0);
    }
    const [fixed, monitored, automated] = doc.setups;
    expect(fixed.retrains).toBe(0);
    // The oracle retrains before every window: on the drifting SEA stream it is worth more than the model left alone.
    expect(doc.oracle.valuePer1000).toBeGreaterThan(fixed.valuePer1000);
    expect(fixed.cpuSecondsRetraining).toBe(0);
    expect(fixed.humanActions).toBe(0);
    expect(automated.humanActions).toBe(0);
    // Whatever the monitored set-up retrained, a person started it.
    if (monitored.retrains > 0) expect(monitored.humanActions).toBeGreaterThanOrEqual(2 * monitored.retrains);
    const files = fs.readdirSync(path.join(out, 'sea'));
    expect(files.sort()).toEqual(['accuracy.svg', 'results.json', 'table.txt']);
    expect(fs.readFileSync(path.join(out, 'sea', 'accuracy.svg'), 'utf8')).toMatch(/^<svg [^>]+>[\s\S]*polyline[\s\S]*<\/svg>\n$/);
    const bad = await runCli(['experiment', '--stream', 'stagger']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--stream stagger: expected one of sea, hyperplane, agrawal, dataset/);
  }, 600_000);
});
