import type { TraceContext } from '../shared/tracing.js';
import type { ValueType } from '../contracts/versions.js';
import type { Explainer } from './explanation.js';

/** One input column: numbers (NaN = missing) or strings, one entry per row. */
export type Column = Float64Array | string[];

/** A batch of rows in the predictor's feature order. */
export interface FeatureBatch {
  rows: number;
  columns: Column[];
}

export type Datatype = 'FP32' | 'FP64' | 'INT32' | 'INT64' | 'BOOL' | 'BYTES';

/** A named output, row-major, as Open Inference Protocol v2 carries it. */
export interface OutputTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: number[] | string[] | boolean[];
}

export interface FeatureSpec {
  name: string;
  type: ValueType;
}

export interface OutputSpec {
  name: string;
  datatype: Datatype;
  /** -1 for the batch dimension. */
  shape: number[];
}

/** What a caller hands one `predict` beyond the rows. */
export interface PredictCall {
  /** The span the call is made under, when tracing is on: a remote model's request continues it. */
  trace?: TraceContext;
}

/**
 * A loaded model, ready to score batches. Implementations are pure in-process evaluators
 * (sextant-linear, xgboost-json), onnxruntime sessions, or remote endpoints.
 */
export interface Predictor {
  readonly format: string;
  /** Features in the order `predict` expects its columns. */
  readonly features: readonly FeatureSpec[];
  readonly outputs: readonly OutputSpec[];
  /** Trees route missing values (NaN); other models reject them before predict. */
  readonly acceptsMissing: boolean;
  /**
   * The feature names are made up (`float_input_0`, …: one tensor input and no signature naming
   * its columns), so named columns that do not match them are taken in the order given, as
   * MLflow's ONNX flavor feeds a DataFrame's values to a single-input model.
   */
  readonly positional?: boolean;
  /** Approximate resident size, for the cache's memory bound. */
  readonly bytes: number;
  /** Scores a batch; the first output is the primary prediction (label or value). */
  predict(batch: FeatureBatch, call?: PredictCall): Promise<OutputTensor[]>;
  /**
   * The model's SHAP explainer, built on first use; absent for formats that cannot be explained.
   * Throws `unimplemented` for a model of an explainable format it cannot explain (an ONNX graph
   * of other operators).
   */
  explainer?(): Explainer;
  /** Frees native resources; called once no request uses the model any more. */
  release(): Promise<void>;
}

export const NUMERIC_TYPES = new Set<ValueType>(['float', 'double', 'int32', 'int64', 'bool']);
