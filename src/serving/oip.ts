import { z } from 'zod';
import type { OutputTensor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import type { InferInput } from './infer-input.js';

export const OipDatatype = z.enum(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES']);

const Tensor = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().min(0)).min(1),
  datatype: OipDatatype,
  parameters: z.record(z.string(), z.unknown()).optional(),
  data: z.array(z.unknown()),
});

/** Open Inference Protocol v2 inference request (JSON). */
export const OipInferRequest = z.object({
  id: z.string().max(256).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  inputs: z.array(Tensor).min(1),
  outputs: z.array(z.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() })).optional(),
});
export type OipInferRequest = z.infer<typeof OipInferRequest>;

const DATATYPES = new Set<string>(OipDatatype.options);
const bad = (field: string, message: string) => new AppError('invalid_argument', `invalid body: ${field}: ${message}`, { fields: [{ field, message }] });

/**
 * Hand-written equivalent of OipInferRequest.parse for the hot path (zod showed in profiles);
 * the zod schema stays the documented contract.
 */
function readRequest(body: unknown): OipInferRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('body', 'expected an object with "inputs"');
  const b = body as Record<string, unknown>;
  if (b.id !== undefined && typeof b.id !== 'string') throw bad('body.id', 'expected a string');
  if (!Array.isArray(b.inputs) || b.inputs.length === 0) throw bad('body.inputs', 'expected a non-empty list of tensors');
  b.inputs.forEach((t: unknown, i: number) => {
    const at = `body.inputs.${i}`;
    if (!t || typeof t !== 'object') throw bad(at, 'expected a tensor object');
    const x = t as Record<string, unknown>;
    if (typeof x.name !== 'string' || x.name === '') throw bad(`${at}.name`, 'expected a non-empty string');
    if (!Array.isArray(x.shape) || x.shape.length === 0 || !x.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw bad(`${at}.shape`, 'expected a non-empty list of non-negative integers');
    }
    if (typeof x.datatype !== 'string' || !DATATYPES.has(x.datatype)) throw bad(`${at}.datatype`, `expected one of ${[...DATATYPES].join(', ')}`);
    if (!Array.isArray(x.data)) throw bad(`${at}.data`, 'expected a list');
  });
  return b as unknown as OipInferRequest;
}

/** Deeper nesting than any tensor has: refused rather than flattened (V8's flat recurses). */
const MAX_NESTING = 32;

/** A tensor's data in row-major order, nested lists or flat; nesting beyond MAX_NESTING is a 400. */
function flatten(name: string, data: unknown[]): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const stack: { list: unknown[]; next: number }[] = [{ list: data, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.list.length) {
      stack.pop();
      continue;
    }
    const v = top.list[top.next++];
    if (!Array.isArray(v)) out.push(v);
    else if (stack.length >= MAX_NESTING) throw new AppError('invalid_argument', `input ${name}: data is nested deeper than ${MAX_NESTING} lists`, { input: name });
    else stack.push({ list: v, next: 0 });
  }
  return out;
}

function checkValues(name: string, datatype: string, values: unknown[]): void {
  const numeric = datatype !== 'BYTES' && datatype !== 'BOOL';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) continue; // JSON has no NaN: null in a tensor means "missing"
    const ok = numeric ? typeof v === 'number' : datatype === 'BOOL' ? typeof v === 'boolean' : typeof v === 'string';
    if (!ok) throw new AppError('invalid_argument', `input ${name}: element ${i} is ${typeof v}, not valid for datatype ${datatype}`, { input: name, index: i });
    if (numeric && datatype.startsWith('INT') && !Number.isInteger(v)) {
      throw new AppError('invalid_argument', `input ${name}: element ${i} (${v}) is not an integer for datatype ${datatype}`, { input: name, index: i });
    }
  }
}

/**
 * Reads OIP tensors into rows. As KServe's sklearn and xgboost servers do, one 2-D tensor (any name)
 * carries all features in signature order; otherwise each 1-D (or [n,1]) tensor is one feature.
 */
export function parseOipRequest(body: unknown, features: readonly { name: string }[]): { id?: string; input: InferInput } {
  const req = readRequest(body);
  const tensors = req.inputs.map((t) => {
    const data = flatten(t.name, t.data);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new AppError('invalid_argument', `input ${t.name}: shape [${t.shape.join(', ')}] holds ${size} values but data has ${data.length}`, { input: t.name });
    checkValues(t.name, t.datatype, data);
    return { ...t, data };
  });
  const names = new Set(features.map((f) => f.name));
  const first = tensors[0]!;
  if (tensors.length === 1 && first.shape.length === 2 && !(names.has(first.name) && first.shape[1] === 1)) {
    return { id: req.id, input: { kind: 'matrix', rows: first.shape[0]!, width: first.shape[1]!, data: first.data } };
  }
  const rows = first.shape[0]!;
  const columns = new Map<string, unknown[]>();
  for (const t of tensors) {
    if (t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1)) {
      throw new AppError('invalid_argument', `input ${t.name}: with several inputs each must be one feature of shape [n] or [n, 1], got [${t.shape.join(', ')}]`, { input: t.name });
    }
    if (t.shape[0] !== rows) throw new AppError('invalid_argument', `input ${t.name} has ${t.shape[0]} rows but ${first.name} has ${rows}`, { input: t.name });
    columns.set(t.name, t.data);
  }
  return { id: req.id, input: { kind: 'columns', rows, columns } };
}

/** The OIP response body. */
export function oipResponse(modelName: string, version: number, id: string, outputs: OutputTensor[]) {
  return {
    model_name: modelName,
    model_version: String(version),
    id,
    outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: o.data })),
  };
}
