import path from 'node:path';
import yaml from 'js-yaml';
import type { ModelFormat, Signature, TensorSpec, ValueType } from '../contracts/versions.js';
import { AppError } from '../shared/app-error.js';

/** What Sextant takes from an MLflow model directory's `MLmodel` file. */
export interface MlmodelChoice {
  /** The flavor Sextant serves the model by (`onnx` or `xgboost`). */
  flavor: 'onnx' | 'xgboost';
  format: ModelFormat;
  /** The model file, relative to the model directory. */
  file: string;
  /** The signature MLmodel declares, when it names every input; absent otherwise. */
  signature?: Signature;
  /** Every flavor MLmodel lists. */
  flavors: string[];
  runId?: string;
}

const bad = (message: string) => new AppError('invalid_argument', message, { field: 'source' });

// MLflow's column types (mlflow.types.DataType) and tensor dtypes (numpy names) as Sextant's.
const COLUMN_TYPES: Record<string, ValueType> = {
  boolean: 'bool',
  integer: 'int32',
  long: 'int64',
  float: 'float',
  double: 'double',
  string: 'string',
};
const TENSOR_TYPES: Record<string, ValueType> = {
  bool: 'bool',
  int8: 'int32',
  int16: 'int32',
  int32: 'int32',
  int64: 'int64',
  uint8: 'int32',
  uint16: 'int32',
  uint32: 'int64',
  float16: 'float',
  float32: 'float',
  float64: 'double',
  str: 'string',
  object: 'string',
};

/** The model file a flavor names, which must stay inside the model directory. */
function flavorFile(flavor: string, conf: Record<string, unknown>): string {
  const data = conf.data ?? conf.model_path ?? conf.model_file;
  if (typeof data !== 'string' || data === '') throw bad(`MLmodel: the ${flavor} flavor names no model file (its "data" key)`);
  const normal = path.posix.normalize(data.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw bad(`MLmodel: the ${flavor} flavor's file ${JSON.stringify(data)} lies outside the model directory`);
  }
  return normal;
}

/** One entry of MLmodel's `signature.inputs` (a JSON string) as a Sextant input, or why not. */
function specOf(entry: unknown, at: string): TensorSpec | null {
  if (!entry || typeof entry !== 'object') throw bad(`MLmodel: signature ${at} is not an object`);
  const e = entry as Record<string, unknown>;
  const name = typeof e.name === 'string' && e.name !== '' ? e.name : undefined;
  if (e.type === 'tensor') {
    const ts = (e['tensor-spec'] ?? {}) as { dtype?: unknown; shape?: unknown };
    const type = TENSOR_TYPES[String(ts.dtype)];
    if (!type) throw bad(`MLmodel: signature ${at} has tensor dtype ${String(ts.dtype)}, which Sextant does not serve`);
    if (!name) return null;
    const shape = Array.isArray(ts.shape) && ts.shape.every((d) => Number.isInteger(d) && (d as number) >= -1) ? (ts.shape as number[]) : undefined;
    return { name, type, ...(shape ? { shape } : {}) };
  }
  const type = COLUMN_TYPES[String(e.type)];
  if (!type) throw bad(`MLmodel: signature ${at} has column type ${JSON.stringify(e.type)}, which Sextant does not serve (it takes ${Object.keys(COLUMN_TYPES).join(', ')})`);
  if (!name) return null;
  return { name, type, ...(e.required === false ? { optional: true } : {}) };
}

function specsOf(raw: unknown, which: 'inputs' | 'outputs'): TensorSpec[] | null {
  if (raw === undefined || raw === null) return null;
  let list: unknown;
  try {
    list = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch (err) {
    throw bad(`MLmodel: signature ${which} is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(list)) throw bad(`MLmodel: signature ${which} is not a list`);
  const specs = list.map((e, i) => specOf(e, `${which}[${i}]`));
  // Unnamed columns or tensors say nothing the model file does not; the file's own names serve.
  return specs.every((s): s is TensorSpec => s !== null) ? specs : null;
}

/**
 * Reads an `MLmodel` file (YAML) and picks the flavor Sextant serves: `onnx` first, then
 * `xgboost` (whose file must be XGBoost JSON, checked when it is read). Any other model gets
 * `invalid_argument` naming the flavors it has.
 */
export function readMlmodel(text: string): MlmodelChoice {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw bad(`MLmodel is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object') throw bad('MLmodel is not a YAML mapping');
  const m = doc as Record<string, unknown>;
  const flavorsConf = (m.flavors && typeof m.flavors === 'object' ? m.flavors : {}) as Record<string, Record<string, unknown> | null>;
  const flavors = Object.keys(flavorsConf);
  const flavor = (['onnx', 'xgboost'] as const).find((f) => f in flavorsConf);
  if (!flavor) {
    throw bad(
      `the model's flavors (${flavors.join(', ') || 'none'}) include none Sextant serves: log the model with the onnx flavor (mlflow.onnx) or the xgboost flavor (mlflow.xgboost, model_format="json")`,
    );
  }
  const file = flavorFile(flavor, flavorsConf[flavor] ?? {});
  let signature: Signature | undefined;
  const sig = m.signature as { inputs?: unknown; outputs?: unknown } | undefined;
  if (sig && typeof sig === 'object') {
    const inputs = specsOf(sig.inputs, 'inputs');
    if (inputs && inputs.length > 0) {
      const names = new Set(inputs.map((i) => i.name));
      if (names.size !== inputs.length) throw bad('MLmodel: signature inputs repeat a name');
      const outputs = specsOf(sig.outputs, 'outputs') ?? [];
      signature = { inputs, outputs: new Set(outputs.map((o) => o.name)).size === outputs.length ? outputs : [] };
    }
  }
  return {
    flavor,
    format: flavor === 'onnx' ? 'onnx' : 'xgboost-json',
    file,
    signature,
    flavors,
    ...(typeof m.run_id === 'string' ? { runId: m.run_id } : {}),
  };
}
