import { type Field, readFields, utf8 } from '../shared/protobuf.js';

/** An attribute's value as ONNX stores it; tensors are decoded to numbers. */
export type AttributeValue = number | string | number[] | string[];

/** One graph node with its attributes. */
export interface OnnxNode {
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, AttributeValue>;
}

/** A graph's nodes and its inputs' names and element types (initializers excluded). */
export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: { name: string; elemType: number }[];
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function packedFloats(b: Uint8Array, out: number[]): void {
  const v = view(b);
  for (let i = 0; i + 4 <= b.length; i += 4) out.push(v.getFloat32(i, true));
}

function packedDoubles(b: Uint8Array, out: number[]): void {
  const v = view(b);
  for (let i = 0; i + 8 <= b.length; i += 8) out.push(v.getFloat64(i, true));
}

function packedVarints(b: Uint8Array, out: number[]): void {
  for (const f of readFields(varintStream(b))) if (f.wire === 0) out.push(f.value);
}

/** Packed varints re-keyed as field 1 so the field reader can walk them. */
function varintStream(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const byte of b) {
    if (start) out.push(8);
    out.push(byte);
    start = (byte & 0x80) === 0;
  }
  return Uint8Array.from(out);
}

/** The last 4 or 8 bytes of a fixed-width field (the field's value, after its key). */
const fixed32 = (raw: Uint8Array) => view(raw.subarray(raw.length - 4)).getFloat32(0, true);
const fixed64 = (raw: Uint8Array) => view(raw.subarray(raw.length - 8)).getFloat64(0, true);

/** A repeated float field, packed or not. */
function readFloats(f: Field, out: number[]): void {
  if (f.wire === 2) packedFloats(f.bytes, out);
  else out.push(fixed32(f.raw));
}

/** A repeated varint field, packed or not. */
function readInts(f: Field, out: number[]): void {
  if (f.wire === 2) packedVarints(f.bytes, out);
  else if (f.wire === 0) out.push(f.value);
}

/** TensorProto of FLOAT (1), DOUBLE (11) or INT64 (7) values. */
function tensorValues(bytes: Uint8Array): number[] {
  let type = 0;
  let raw: Uint8Array | undefined;
  const out: number[] = [];
  for (const f of readFields(bytes)) {
    if (f.no === 2 && f.wire === 0) type = f.value;
    else if (f.no === 9 && f.wire === 2) raw = f.bytes;
    else if (f.no === 4) readFloats(f, out);
    else if (f.no === 10) {
      if (f.wire === 2) packedDoubles(f.bytes, out);
      else out.push(fixed64(f.raw));
    } else if (f.no === 7) readInts(f, out);
  }
  if (raw) {
    if (type === 1) packedFloats(raw, out);
    else if (type === 11) packedDoubles(raw, out);
    else throw new Error(`tensor of element type ${type} in raw_data is not supported`);
  }
  return out;
}

function attribute(bytes: Uint8Array): [string, AttributeValue] {
  let name = '';
  let value: AttributeValue | undefined;
  const floatList: number[] = [];
  const intList: number[] = [];
  const strings: string[] = [];
  for (const f of readFields(bytes)) {
    if (f.no === 1 && f.wire === 2) name = utf8(f.bytes);
    else if (f.no === 2 && f.wire === 5) value = fixed32(f.raw);
    else if (f.no === 3 && f.wire === 0) value = f.value;
    else if (f.no === 4 && f.wire === 2) value = utf8(f.bytes);
    else if (f.no === 5 && f.wire === 2) value = tensorValues(f.bytes);
    else if (f.no === 7) readFloats(f, floatList);
    else if (f.no === 8) readInts(f, intList);
    else if (f.no === 9 && f.wire === 2) strings.push(utf8(f.bytes));
  }
  return [name, value ?? (floatList.length ? floatList : intList.length ? intList : strings)];
}

function node(bytes: Uint8Array): OnnxNode {
  const n: OnnxNode = { op: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of readFields(bytes)) {
    if (f.wire !== 2) continue;
    if (f.no === 1) n.inputs.push(utf8(f.bytes));
    else if (f.no === 2) n.outputs.push(utf8(f.bytes));
    else if (f.no === 4) n.op = utf8(f.bytes);
    else if (f.no === 7) n.domain = utf8(f.bytes);
    else if (f.no === 5) {
      const [k, v] = attribute(f.bytes);
      n.attributes.set(k, v);
    }
  }
  return n;
}

/** ValueInfoProto → name and tensor element type (0 when not a tensor). */
function valueInfo(bytes: Uint8Array): { name: string; elemType: number } {
  let name = '';
  let elemType = 0;
  for (const f of readFields(bytes)) {
    if (f.no === 1 && f.wire === 2) name = utf8(f.bytes);
    if (f.no === 2 && f.wire === 2) {
      for (const t of readFields(f.bytes)) {
        if (t.no !== 1 || t.wire !== 2) continue;
        for (const e of readFields(t.bytes)) if (e.no === 1 && e.wire === 0) elemType = e.value;
      }
    }
  }
  return { name, elemType };
}

/** Reads a ModelProto's graph: nodes with decoded attributes, and the inputs that are not initializers. */
export function readOnnxGraph(model: Uint8Array): OnnxGraph {
  let graph: Uint8Array | undefined;
  for (const f of readFields(model)) if (f.no === 7 && f.wire === 2) graph = f.bytes;
  if (!graph) return { nodes: [], inputs: [] };
  const nodes: OnnxNode[] = [];
  const inputs: { name: string; elemType: number }[] = [];
  const initializers = new Set<string>();
  for (const f of readFields(graph)) {
    if (f.wire !== 2) continue;
    if (f.no === 1) nodes.push(node(f.bytes));
    else if (f.no === 11) inputs.push(valueInfo(f.bytes));
    else if (f.no === 5) for (const t of readFields(f.bytes)) if (t.no === 8 && t.wire === 2) initializers.add(utf8(t.bytes));
  }
  return { nodes, inputs: inputs.filter((i) => !initializers.has(i.name)) };
}
