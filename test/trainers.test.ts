import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { Task } from '../src/contracts/common.js';
import { evaluate } from '../src/pipelines/evaluate.js';
import { examplesFromRows, toTrainingData } from '../src/pipelines/training-set.js';
import { trainGbt, trainLogistic, trainRidge, type TrainedModel, type TrainingData } from '../src/pipelines/trainers/index.js';
import { loadPredictor } from '../src/runtime/index.js';

interface Fixture {
  task: Task;
  rows: number;
  features: string[];
  folds: number[];
  sklearn: Record<string, { metric: 'accuracy' | 'r2'; mean: number; folds: number[] }>;
}

const root = path.resolve(import.meta.dirname, '..');
const fixtures = JSON.parse(readFileSync(path.join(root, 'test/fixtures/trainers/sklearn-scores.json'), 'utf8')) as Record<string, Fixture>;

function dataset(name: string, f: Fixture): { fold: (k: number) => { train: TrainingData; test: TrainingData } } {
  const rows = parse(readFileSync(path.join(root, 'assets/datasets', `${name}.csv`), 'utf8'), { columns: true, cast: true }) as Record<string, unknown>[];
  const examples = examplesFromRows(rows, 'label');
  return {
    fold: (k) => ({
      train: toTrainingData(examples.filter((_, i) => f.folds[i] !== k), f.features),
      test: toTrainingData(examples.filter((_, i) => f.folds[i] === k), f.features),
    }),
  };
}

const TRAIN: Record<string, (d: TrainingData, task: Task) => TrainedModel> = {
  logistic: (d) => trainLogistic(d),
  ridge: (d) => trainRidge(d),
  gbt: (d, task) => trainGbt(d, task as 'binary-classification' | 'regression'),
};

/**
 * The built-in trainers against scikit-learn's equivalents on the bundled datasets, over the same
 * five folds (test/fixtures/make_trainer_fixtures.py): mean held-out accuracy (or R²) within one
 * point. Each model is served by the runtime that serves it in production.
 */
describe('built-in trainers match scikit-learn on the bundled datasets', () => {
  for (const [name, f] of Object.entries(fixtures)) {
    for (const [trainer, ref] of Object.entries(f.sklearn)) {
      it(`${trainer} on ${name}: mean ${ref.metric} within 0.01 of sklearn's ${ref.mean.toFixed(4)}`, async () => {
        const data = dataset(name, f);
        const scores: number[] = [];
        for (let k = 0; k < 5; k++) {
          const { train, test } = data.fold(k);
          const model = TRAIN[trainer]!(train, f.task);
          const predictor = await loadPredictor(model.format, model.artifact, null);
          const e = await evaluate(predictor, test, f.task);
          expect(e.invalidPredictions).toBe(0);
          scores.push(e.metrics[ref.metric]!);
        }
        const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
        console.log(`${trainer} on ${name}: ${ref.metric} ${mean.toFixed(4)} (sklearn ${ref.mean.toFixed(4)})`);
        expect(Math.abs(mean - ref.mean)).toBeLessThanOrEqual(0.01);
      });
    }
  }

  it('is deterministic: the same data gives byte-identical artifacts', () => {
    const f = fixtures['breast-cancer']!;
    const { train } = dataset('breast-cancer', f).fold(0);
    expect(Buffer.from(trainGbt(train, 'binary-classification', { nEstimators: 10 }).artifact).equals(Buffer.from(trainGbt(train, 'binary-classification', { nEstimators: 10 }).artifact))).toBe(true);
    expect(Buffer.from(trainLogistic(train).artifact).equals(Buffer.from(trainLogistic(train).artifact))).toBe(true);
  });

  it('refuses data it cannot learn from, naming the problem', () => {
    const one = toTrainingData([{ values: { x: 1 }, label: 0 }, { values: { x: 2 }, label: 0 }], ['x']);
    expect(() => trainLogistic(one)).toThrow(/single class/);
    const missing = toTrainingData([{ values: { x: null }, label: 0 }, { values: { x: 2 }, label: 1 }], ['x']);
    expect(() => trainLogistic(missing)).toThrow(/feature x is missing in training row 1/);
    expect(() => toTrainingData([{ values: { x: 'abc' }, label: 0 }], ['x'])).toThrow(/row 1: feature x is not a number/);
    const strings = toTrainingData([{ values: { x: 1 }, label: 'a' }, { values: { x: 2 }, label: 'b' }], ['x']);
    expect(() => trainGbt(strings, 'binary-classification')).toThrow(/binary labels 0 and 1/);
  });
});
