import { toTrainingData, trainLogistic } from '../pipelines/index.js';
import { loadPredictor } from '../runtime/index.js';
import { binaryConfusion, confusionValue, type Confusion, type OutcomeValues, per1000 } from '../stats/index.js';
import type { Stream } from './streams.js';

/** What a set-up's predictions were worth: the confusion counts over every replayed row and the value per 1,000. */
export interface ValueOf {
  confusion: Confusion;
  per1000: number;
}

/** Adds one window's counts to a running confusion matrix. */
export function addConfusion(into: Confusion, c: Confusion): Confusion {
  return { tp: into.tp + c.tp, fp: into.fp + c.fp, fn: into.fn + c.fn, tn: into.tn + c.tn };
}

/** The value of a confusion matrix per 1,000 predictions under the experiment's outcome values. */
export function valueOf(c: Confusion, kpi: OutcomeValues): ValueOf {
  return { confusion: c, per1000: per1000(confusionValue(c, kpi), c.tp + c.fp + c.fn + c.tn) ?? 0 };
}

/**
 * The oracle the set-ups are measured against: before every window a logistic regression is
 * retrained on the `trainRows` labelled rows just before it (the automated set-up's data, with no
 * holdout, gate, trigger, delay or canary) and predicts that window. No set-up that retrains from
 * the same trainer and data can react faster, so what a set-up is worth less than the oracle is
 * the value it lost to drift.
 */
export async function oracleValue(stream: Stream, warmup: number, windowRows: number, trainRows: number, kpi: OutcomeValues): Promise<ValueOf & { windows: number[] }> {
  const replay = stream.rows.length - warmup;
  let total: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const windows: number[] = [];
  for (let start = warmup; start + windowRows <= warmup + replay; start += windowRows) {
    const history = stream.rows.slice(Math.max(0, start - trainRows), start);
    const examples = history.map((r) => ({ values: Object.fromEntries(stream.features.map((f, j) => [f, r.x[j]])), label: r.y }));
    const trained = trainLogistic(toTrainingData(examples, stream.features));
    const predictor = await loadPredictor(trained.format, trained.artifact, null);
    const rows = stream.rows.slice(start, start + windowRows);
    const outputs = await predictor.predict({ rows: rows.length, columns: stream.features.map((_, j) => Float64Array.from(rows, (r) => r.x[j]!)) });
    const c = binaryConfusion(
      rows.map((r) => r.y),
      (outputs[0]!.data as unknown[]).map(Number),
    );
    windows.push(valueOf(c, kpi).per1000);
    total = addConfusion(total, c);
  }
  return { ...valueOf(total, kpi), windows };
}
