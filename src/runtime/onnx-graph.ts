import { concatBytes, lengthField, readFields, utf8, varintField } from '../shared/protobuf.js';

export interface GraphFacts {
  /** ONNX model bytes with ZipMap outputs replaced by the probability tensor they wrap. */
  model: Uint8Array;
  /** Graph output name after the rewrite → the name callers know it by. */
  renamed: Map<string, string>;
  /** The graph holds tree ensembles, which route missing values themselves. */
  hasTrees: boolean;
}

interface NodeInfo {
  op: string;
  inputs: string[];
  outputs: string[];
}

function node(bytes: Uint8Array): NodeInfo {
  const n: NodeInfo = { op: '', inputs: [], outputs: [] };
  for (const f of readFields(bytes)) {
    if (f.wire !== 2) continue;
    if (f.no === 1) n.inputs.push(utf8(f.bytes));
    if (f.no === 2) n.outputs.push(utf8(f.bytes));
    if (f.no === 4) n.op = utf8(f.bytes);
  }
  return n;
}

function valueInfoName(bytes: Uint8Array): string {
  for (const f of readFields(bytes)) if (f.no === 1 && f.wire === 2) return utf8(f.bytes);
  return '';
}

/** ValueInfoProto{name, type: tensor(float)}: the probability tensor a ZipMap used to wrap. */
function floatTensorOutput(name: string): Uint8Array {
  const tensorType = varintField(1, 1);
  const typeProto = lengthField(1, tensorType);
  return concatBytes([lengthField(1, new TextEncoder().encode(name)), lengthField(2, typeProto)]);
}

/**
 * onnxruntime for Node returns tensors only, but sklearn converters end classifiers with a ZipMap
 * (a sequence of maps). This drops such ZipMap nodes and exposes their input tensor as the graph
 * output instead, remembering the original output name; everything else is copied byte for byte.
 */
export function prepareOnnxGraph(model: Uint8Array): GraphFacts {
  let graph: Uint8Array | undefined;
  for (const f of readFields(model)) if (f.no === 7 && f.wire === 2) graph = f.bytes;
  if (!graph) return { model, renamed: new Map(), hasTrees: false };
  const outputs = new Set<string>();
  const nodes: { raw: Uint8Array; info: NodeInfo }[] = [];
  for (const f of readFields(graph)) {
    if (f.no === 12 && f.wire === 2) outputs.add(valueInfoName(f.bytes));
    if (f.no === 1 && f.wire === 2) nodes.push({ raw: f.raw, info: node(f.bytes) });
  }
  const hasTrees = nodes.some((n) => n.info.op.startsWith('TreeEnsemble'));
  const zipmaps = nodes.filter((n) => n.info.op === 'ZipMap' && outputs.has(n.info.outputs[0] ?? ''));
  if (zipmaps.length === 0) return { model, renamed: new Map(), hasTrees };
  const replace = new Map(zipmaps.map((z) => [z.info.outputs[0]!, z.info.inputs[0]!]));
  const dropped = new Set(zipmaps.map((z) => z.raw));
  const parts: Uint8Array[] = [];
  for (const f of readFields(graph)) {
    if (f.no === 1 && f.wire === 2 && [...dropped].some((d) => d.byteOffset === f.raw.byteOffset)) continue;
    if (f.no === 12 && f.wire === 2) {
      const name = valueInfoName(f.bytes);
      const inner = replace.get(name);
      if (inner) {
        parts.push(lengthField(12, floatTensorOutput(inner)));
        continue;
      }
    }
    parts.push(f.raw);
  }
  const newGraph = concatBytes(parts);
  const modelParts: Uint8Array[] = [];
  for (const f of readFields(model)) modelParts.push(f.no === 7 && f.wire === 2 ? lengthField(7, newGraph) : f.raw);
  return { model: concatBytes(modelParts), renamed: new Map([...replace].map(([outer, inner]) => [inner, outer])), hasTrees };
}
