import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryMetrics, calibrationError, estimateBinaryMetrics, logLoss, multiclassMetrics, regressionMetrics, rocAuc } from './quality-metrics.js';
import { isotonicFit } from './isotonic.js';

interface Case {
  name: string;
  kind: 'binary' | 'multiclass' | 'regression';
  y: number[];
  pred: number[];
  score?: number[];
  [metric: string]: unknown;
}

const FIX = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'stats', 'metric-cases.json');
const { cases } = JSON.parse(fs.readFileSync(FIX, 'utf8')) as { cases: Case[] };
const close = (a: number, b: unknown) => expect(Math.abs(a - (b as number))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b as number)));

describe.each(cases)('quality metrics match scikit-learn: $name', (c) => {
  it('every metric of its kind', () => {
    if (c.kind === 'regression') {
      const m = regressionMetrics(c.y, c.pred);
      close(m.mae, c.mae);
      close(m.rmse, c.rmse);
      close(m.r2, c.r2);
      close(m.mape, c.mape);
      return;
    }
    const m = c.kind === 'binary' ? binaryMetrics(c.y, c.pred) : multiclassMetrics(c.y, c.pred);
    close(m.accuracy, c.accuracy);
    close(m.precision, c.precision);
    close(m.recall, c.recall);
    close(m.f1, c.f1);
    if (c.kind === 'binary') {
      close(rocAuc(c.y, c.score!), c.roc_auc);
      close(logLoss(c.y, c.score!), c.log_loss);
      close(calibrationError(c.y, c.score!), c.calibration_error!);
    }
  });
});

describe('CBPE estimate without labels', () => {
  it('matches the realised metrics of calibrated scores within 0.02 on 20,000 rows, also when quality decays', () => {
    let seed = 17;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (const spread of [0.45, 0.15]) {
      // Calibrated by construction: each label is drawn with the probability its score states.
      const score = Array.from({ length: 20_000 }, () => Math.min(0.999, Math.max(0.001, 0.5 + (rand() * 2 - 1) * spread)));
      const y = score.map((p) => (rand() < p ? 1 : 0));
      const actual = binaryMetrics(y, score.map((p) => (p > 0.5 ? 1 : 0)));
      const estimate = estimateBinaryMetrics(score);
      for (const k of ['accuracy', 'precision', 'recall', 'f1'] as const) expect(Math.abs(estimate[k] - actual[k])).toBeLessThan(0.02);
    }
  });
});

describe('isotonic regression matches scikit-learn', () => {
  const { isotonic } = JSON.parse(fs.readFileSync(FIX, 'utf8')) as { isotonic: { name: string; x: number[]; y: number[]; grid: number[]; predicted: number[] }[] };
  it.each(isotonic)('$name', (c) => {
    const f = isotonicFit(c.x, c.y);
    c.grid.forEach((g, i) => close(f(g), c.predicted[i]));
  });
});
