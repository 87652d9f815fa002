import type { Task } from '../contracts/common.js';
import { positiveScores, type Predictor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import { binaryMetrics, multiclassMetrics, regressionMetrics, scoreMetrics } from '../stats/index.js';
import { classesOf, type TrainingData } from './trainers/index.js';

export interface Evaluation {
  metrics: Record<string, number | null>;
  /** Rows whose prediction was NaN or missing: a data check of the gate. */
  invalidPredictions: number;
}

/** Metrics whose smaller values are better; every other metric is better when greater. */
export const LOWER_IS_BETTER = new Set(['log_loss', 'rmse', 'mae', 'mape', 'calibration_error']);

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Scores `data` with a loaded model and computes the metrics of its task, as sklearn defines
 * them: accuracy, precision, recall, f1, roc_auc, log_loss and calibration_error (binary: positive class = the greater
 * label), macro averages for multiclass; rmse, mae, r2, mape for regression.
 */
export async function evaluate(predictor: Predictor, data: TrainingData, task: Task): Promise<Evaluation> {
  const index = new Map(data.features.map((f, i) => [f, i]));
  const columns = predictor.features.map((f) => {
    const i = index.get(f.name);
    if (i === undefined) throw new AppError('invalid_argument', `the evaluation data has no column ${f.name}, which the model needs`);
    return data.columns[i]!;
  });
  const outputs = await predictor.predict({ rows: data.rows, columns });
  const primary = outputs[0]!.data as (number | string | boolean)[];
  if (task === 'regression') {
    const pred = primary.map(Number);
    const invalid = pred.filter((p) => !Number.isFinite(p)).length;
    if (invalid > 0) return { metrics: { rmse: null, mae: null, r2: null, mape: null }, invalidPredictions: invalid };
    const m = regressionMetrics(data.labels.map(Number), pred);
    return { metrics: { rmse: finite(m.rmse), mae: finite(m.mae), r2: finite(m.r2), mape: finite(m.mape) }, invalidPredictions: 0 };
  }
  const invalid = primary.filter((p) => p === null || p === undefined || (typeof p === 'number' && Number.isNaN(p))).length;
  const truth = data.labels.map(String);
  const pred = primary.map(String);
  if (task === 'binary-classification') {
    const classes = classesOf([...data.labels, ...primary.map((p) => (typeof p === 'boolean' ? Number(p) : p))]).map(String);
    const positive = classes[classes.length - 1]!;
    const y = truth.map((t) => (t === positive ? 1 : 0));
    const m = binaryMetrics(y, pred.map((p) => (p === positive ? 1 : 0)));
    const p1 = positiveScores(outputs);
    let auc: number | null = null;
    let loss: number | null = null;
    let calibration: number | null = null;
    if (p1?.every(Number.isFinite)) {
      const s = scoreMetrics(y, p1);
      auc = s.rocAuc;
      loss = finite(s.logLoss);
      calibration = finite(s.calibrationError);
    }
    return { metrics: { accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, roc_auc: auc, log_loss: loss, calibration_error: calibration }, invalidPredictions: invalid };
  }
  const m = multiclassMetrics(truth, pred);
  return { metrics: { accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1 }, invalidPredictions: invalid };
}
