import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultTable, makeStream } from '../src/experiment/index.js';
import { oracleValue, valueOf } from '../src/experiment/oracle.js';
import { DEFAULT_KPI, type ExperimentResult } from '../src/experiment/run-experiment.js';
import { toTrainingData, trainLogistic } from '../src/pipelines/index.js';
import { loadPredictor } from '../src/runtime/index.js';
import { binaryConfusion } from '../src/stats/index.js';
import { ROOT } from './helpers/processes.js';

const DATASET = path.join(ROOT, 'assets/datasets/breast-cancer.csv');

describe('the experiment’s business value columns', () => {
  it('values predictions by outcome: with the default values, value per 1,000 is 1,000 × (2 × accuracy − 1)', () => {
    // 3 tp, 1 fp, 0 fn, 1 tn: accuracy 0.8, value (3 − 1 + 1) / 5 × 1,000 = 600.
    expect(valueOf({ tp: 3, fp: 1, fn: 0, tn: 1 }, DEFAULT_KPI).per1000).toBe(600);
    expect(valueOf({ tp: 3, fp: 1, fn: 0, tn: 1 }, { tp: 120, fp: -15, fn: -60, tn: 0 }).per1000).toBe(((360 - 15) / 5) * 1000);
  });

  it('the oracle, retrained before every window, is worth more than the first model left alone on a drifting stream', async () => {
    const stream = makeStream('sea', 4000, 7, DATASET);
    const warmup = 400;
    const oracle = await oracleValue(stream, warmup, 200, 400, DEFAULT_KPI);
    expect(oracle.windows).toHaveLength(18);
    // The static set-up: one model trained on the warm-up rows predicts the whole replay.
    const examples = stream.rows.slice(0, warmup).map((r) => ({ values: Object.fromEntries(stream.features.map((f, j) => [f, r.x[j]])), label: r.y }));
    const trained = trainLogistic(toTrainingData(examples, stream.features));
    const predictor = await loadPredictor(trained.format, trained.artifact, null);
    const rest = stream.rows.slice(warmup, warmup + 18 * 200);
    const out = await predictor.predict({ rows: rest.length, columns: stream.features.map((_, j) => Float64Array.from(rest, (r) => r.x[j]!)) });
    const fixed = valueOf(binaryConfusion(rest.map((r) => r.y), (out[0]!.data as unknown[]).map(Number)), DEFAULT_KPI);
    expect(oracle.per1000).toBeGreaterThan(fixed.per1000);
    expect(oracle.per1000).toBeLessThanOrEqual(1000);
    // Plausible for a 10 %-noise stream: better than chance, below the noise ceiling (1,000 × (2 × 0.9 − 1) = 800) plus sampling error.
    expect(oracle.per1000).toBeGreaterThan(300);
    expect(oracle.per1000).toBeLessThan(850);
  });

  it('the result table has the value, lost-to-drift and retrain CPU columns and the oracle line', () => {
    const setup = (name: 'static' | 'monitored' | 'automated', value: number, cpu: number) => ({
      name, accuracy: 0.8, p50Ms: 1, p99Ms: 2, errorRate: 0, humanActions: name === 'monitored' ? 3 : 0, retrains: cpu > 0 ? 1 : 0, promotions: 0, requests: 1000,
      valuePer1000: value, valueLostToDrift: 700 - value, cpuSecondsRetraining: cpu, windows: [], markers: [],
    });
    const r: ExperimentResult = { stream: 'sea', rows: 1000, seed: 1, windowRows: 100, warmupRows: 100, changes: [], kpi: DEFAULT_KPI, oracle: { valuePer1000: 700 }, setups: [setup('static', 400, 0), setup('monitored', 550, 1.5), setup('automated', 650, 2.25)] };
    const table = resultTable(r).split('\n');
    expect(table[0]).toMatch(/value\/1k\s+lost to drift\/1k\s+.*human actions\s+retrains\s+retrain CPU s/);
    expect(table[1]).toMatch(/^static\s+80\.0 %\s+400\.0\s+300\.0\s/);
    expect(table[3]).toMatch(/^automated\s+80\.0 %\s+650\.0\s+50\.0\s.*\s2\.25\s+0$/);
    expect(table.at(-1)).toBe('oracle (retrained before every window): 700.0 per 1,000 predictions; outcome values tp 1, fp -1, fn -1, tn 1');
  });
});
