import { parseXgboost, xgboostPredictor } from '../../runtime/index.js';
import type { FitScore } from '../../stats/index.js';
import { type GbtParams, trainGbt } from './gbt-trainer.js';

/**
 * The built-in gbt trainer as the domain classifier's model: trains a binary classifier on the
 * training rows and scores the test rows with the runtime's XGBoost evaluator (class-1 probability).
 */
export function gbtFitScore(params: Partial<GbtParams> = {}): FitScore {
  return async (train, test) => {
    const model = trainGbt({ features: train.features, columns: train.columns, labels: train.labels, rows: train.labels.length }, 'binary-classification', params);
    const predictor = xgboostPredictor(parseXgboost(model.artifact), null);
    const [, probabilities] = await predictor.predict({ rows: test[0]?.length ?? 0, columns: test });
    const p = probabilities!.data as number[];
    return Float64Array.from({ length: p.length / 2 }, (_, i) => p[2 * i + 1]!);
  };
}
