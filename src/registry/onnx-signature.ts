import type { Signature, TensorSpec, ValueType } from '../contracts/versions.js';
import { AppError } from '../shared/app-error.js';
import { readFields, utf8 } from '../shared/protobuf.js';

// ONNX TensorProto.DataType → the signature's value types (narrow ints widen, halves read as float).
const ELEM_TYPE: Record<number, ValueType> = {
  1: 'float',
  2: 'int32',
  3: 'int32',
  4: 'int32',
  5: 'int32',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float',
  11: 'double',
  12: 'int64',
  13: 'int64',
  16: 'float',
};

interface ValueInfo {
  name: string;
  spec: TensorSpec;
}

function child(bytes: Uint8Array, no: number): Uint8Array | undefined {
  for (const f of readFields(bytes)) if (f.no === no && f.wire === 2) return f.bytes;
  return undefined;
}

function describeType(type: Uint8Array): string {
  for (const f of readFields(type)) {
    if (f.wire !== 2) continue;
    if (f.no === 4) {
      const elem = child(f.bytes, 1);
      return `sequence<${elem ? describeType(elem) : '?'}>`;
    }
    if (f.no === 5) {
      let key = '?';
      let value = '?';
      for (const m of readFields(f.bytes)) {
        if (m.no === 1 && m.wire === 0) key = ELEM_TYPE[m.value] ?? String(m.value);
        if (m.no === 2 && m.wire === 2) value = describeType(m.bytes);
      }
      return `map<${key},${value}>`;
    }
    if (f.no === 1) {
      for (const t of readFields(f.bytes)) if (t.no === 1 && t.wire === 0) return ELEM_TYPE[t.value] ?? `onnx-type-${t.value}`;
    }
  }
  return 'unknown';
}

function valueInfo(bytes: Uint8Array): ValueInfo {
  let name = '';
  let type: Uint8Array | undefined;
  for (const f of readFields(bytes)) {
    if (f.no === 1 && f.wire === 2) name = utf8(f.bytes);
    if (f.no === 2 && f.wire === 2) type = f.bytes;
  }
  const spec: TensorSpec = { name, type: 'float' };
  const tensor = type && child(type, 1);
  if (tensor) {
    for (const f of readFields(tensor)) {
      if (f.no === 1 && f.wire === 0) {
        const t = ELEM_TYPE[f.value];
        if (!t) throw new Error(`input ${name} has an unsupported element type ${f.value}`);
        spec.type = t;
      }
      if (f.no === 2 && f.wire === 2) {
        const shape: number[] = [];
        for (const d of readFields(f.bytes)) {
          if (d.no !== 1 || d.wire !== 2) continue;
          let dim = -1;
          for (const x of readFields(d.bytes)) if (x.no === 1 && x.wire === 0) dim = x.value;
          shape.push(dim);
        }
        spec.shape = shape;
      }
    }
  } else if (type) {
    // Not a tensor (ZipMap's sequence of maps): keep the name, say what it is.
    spec.description = describeType(type);
  }
  return { name, spec };
}

/**
 * Reads the graph inputs and outputs of an ONNX model into a signature. Inputs that are also
 * initializers (weights exposed as inputs by old exporters) are not features and are skipped.
 */
export function onnxSignature(model: Uint8Array): Signature {
  try {
    let graph: Uint8Array | undefined;
    let sawIrVersion = false;
    for (const f of readFields(model)) {
      if (f.no === 1 && f.wire === 0) sawIrVersion = true;
      if (f.no === 7 && f.wire === 2) graph = f.bytes;
    }
    if (!sawIrVersion || !graph) throw new Error('no ir_version or graph');
    const initializers = new Set<string>();
    const inputs: TensorSpec[] = [];
    const outputs: TensorSpec[] = [];
    for (const f of readFields(graph)) {
      if (f.wire !== 2) continue;
      if (f.no === 5) {
        for (const t of readFields(f.bytes)) if (t.no === 8 && t.wire === 2) initializers.add(utf8(t.bytes));
      }
      if (f.no === 11) inputs.push(valueInfo(f.bytes).spec);
      if (f.no === 12) outputs.push(valueInfo(f.bytes).spec);
    }
    const features = inputs.filter((i) => !initializers.has(i.name));
    if (features.length === 0) throw new Error('the graph has no inputs');
    return { inputs: features, outputs };
  } catch (err) {
    throw new AppError('invalid_argument', `the artifact is not a valid ONNX model: ${(err as Error).message}`, { field: 'file' });
  }
}
