import type ort from 'onnxruntime-node';
import type { Signature } from '../contracts/versions.js';
import type { ValueType } from '../contracts/versions.js';
import { AppError } from '../shared/app-error.js';
import type { Explainer } from './explanation.js';
import { onnxExplainer } from './onnx-explainer.js';
import { prepareOnnxGraph } from './onnx-graph.js';
import type { Column, Datatype, FeatureBatch, FeatureSpec, OutputSpec, OutputTensor, Predictor } from './predictor.js';

type OrtType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'string';

const ORT_TO_VALUE: Record<string, ValueType> = { float32: 'float', float64: 'double', int64: 'int64', int32: 'int32', bool: 'bool', string: 'string' };
const ORT_TO_DATATYPE: Record<string, Datatype> = { float32: 'FP32', float64: 'FP64', int64: 'INT64', int32: 'INT32', bool: 'BOOL', string: 'BYTES' };

/** onnxruntime loads with the first ONNX model (about 14 MB per process, native code included). */
let runtime: typeof ort | undefined;

interface InputMeta {
  name: string;
  type: OrtType;
  shape: (number | string)[];
}

function tensorFor(type: OrtType, columns: Column[], rows: number, dims: number[]): ort.Tensor {
  const width = columns.length;
  if (type === 'string') {
    const data = new Array<string>(rows * width);
    for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) data[r * width + c] = String((columns[c] as string[])[r]);
    return new runtime!.Tensor('string', data, dims);
  }
  const size = rows * width;
  const data =
    type === 'float32' ? new Float32Array(size) : type === 'float64' ? new Float64Array(size) : type === 'int32' ? new Int32Array(size) : type === 'int64' ? new BigInt64Array(size) : new Uint8Array(size);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) {
      const v = (columns[c] as Float64Array)[r]!;
      if (type === 'int64') (data as BigInt64Array)[r * width + c] = BigInt(Math.trunc(v));
      else (data as Float64Array)[r * width + c] = v;
    }
  }
  return new runtime!.Tensor(type === 'bool' ? 'bool' : type, data as Float32Array, dims);
}

function toOutput(name: string, t: ort.Tensor): OutputTensor {
  const raw = t.data as ArrayLike<number | bigint | string | boolean>;
  const data = Array.from(raw, (v) => (typeof v === 'bigint' ? Number(v) : v)) as number[] | string[] | boolean[];
  return { name, datatype: ORT_TO_DATATYPE[t.type] ?? 'FP32', shape: [...t.dims], data };
}

/**
 * An ONNX model on onnxruntime (CPU). Tabular models take either one 2-D input (features in
 * column order; named by the version's signature when it lists one feature per column) or one
 * input per feature.
 */
export async function onnxPredictor(bytes: Uint8Array, signature: Signature | null): Promise<Predictor> {
  // Outside the try below: a runtime that cannot load is the server's problem, not the model's.
  const rt = (runtime ??= (await import('onnxruntime-node')).default);
  let graph: ReturnType<typeof prepareOnnxGraph>;
  let session: ort.InferenceSession;
  try {
    graph = prepareOnnxGraph(bytes);
    session = await rt.InferenceSession.create(graph.model, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (err) {
    throw new AppError('invalid_argument', `onnxruntime cannot load the model: ${(err as Error).message}`);
  }
  const inputs = session.inputMetadata.map((m) => {
    if (!m.isTensor) throw new AppError('invalid_argument', `ONNX input ${m.name} is not a tensor`);
    return { name: m.name, type: m.type as OrtType, shape: [...m.shape] } as InputMeta;
  });
  let features: FeatureSpec[];
  let positional: boolean;
  let feeds: (batch: FeatureBatch) => Record<string, ort.Tensor>;
  const first = inputs[0]!;
  const width = typeof first.shape[1] === 'number' ? first.shape[1] : undefined;
  if (inputs.length === 1 && first.shape.length === 2 && width !== undefined && width > 1) {
    const named = signature && signature.inputs.length === width ? signature.inputs.map((i) => i.name) : undefined;
    features = Array.from({ length: width }, (_, i) => ({ name: named?.[i] ?? `${first.name}_${i}`, type: ORT_TO_VALUE[first.type] ?? 'float' }));
    positional = named === undefined;
    feeds = (b) => ({ [first.name]: tensorFor(first.type, b.columns, b.rows, [b.rows, width]) });
  } else {
    features = inputs.map((i) => ({ name: i.name, type: ORT_TO_VALUE[i.type] ?? 'float' }));
    // One tensor of one column: unless a signature names that column otherwise, its name is the tensor's.
    positional = inputs.length === 1 && (signature?.inputs.length !== 1 || signature.inputs[0]!.name === first.name);
    feeds = (b) => Object.fromEntries(inputs.map((i, c) => [i.name, tensorFor(i.type, [b.columns[c]!], b.rows, i.shape.length === 2 ? [b.rows, 1] : [b.rows])]));
  }
  const outputs: OutputSpec[] = session.outputMetadata.map((m) => ({
    name: graph.renamed.get(m.name) ?? m.name,
    datatype: m.isTensor ? (ORT_TO_DATATYPE[m.type] ?? 'FP32') : 'FP32',
    shape: m.isTensor ? m.shape.map((d) => (typeof d === 'number' ? d : -1)) : [-1],
  }));
  const outputNames = session.outputNames;
  let explainer: Explainer | undefined;
  return {
    format: 'onnx',
    features,
    outputs,
    acceptsMissing: graph.hasTrees,
    positional,
    bytes: bytes.length * 2 + 64 * 1024,
    async predict(batch: FeatureBatch): Promise<OutputTensor[]> {
      const result = await session.run(feeds(batch));
      return outputNames.map((name) => toOutput(graph.renamed.get(name) ?? name, result[name]!));
    },
    explainer: () =>
      (explainer ??= onnxExplainer(
        bytes,
        features.map((f) => f.name),
      )),
    release: () => session.release(),
  };
}
