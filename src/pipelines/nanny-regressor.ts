import { parseXgboost, xgboostPredictor } from '../runtime/index.js';
import { trainGbt } from './trainers/index.js';

/**
 * The nanny models of label-free regression estimates (DLE): the built-in gbt trainer fitted on
 * the reference's numeric columns (missing values as NaN, which the trees route), served by the
 * same XGBoost runtime as any gbt model.
 */
export async function gbtRegressor(features: string[], columns: Float64Array[], targets: number[]): Promise<(columns: Float64Array[]) => Promise<Float64Array>> {
  const trained = trainGbt({ features, columns, labels: targets, rows: targets.length }, 'regression');
  const predictor = xgboostPredictor(parseXgboost(trained.artifact), features.map((name) => ({ name, type: 'double' as const })));
  return async (cols) => {
    const [out] = await predictor.predict({ rows: cols[0]?.length ?? 0, columns: cols });
    return Float64Array.from((out?.data ?? []) as number[]);
  };
}
