import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onnxSignature } from './onnx-signature.js';

const DIR = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'onnx');
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected-signatures.json'), 'utf8')) as Record<
  string,
  { inputs: { name: string; elemType: number; shape: number[] }[]; outputs: string[] }
>;
const TYPE: Record<number, string> = { 1: 'float', 7: 'int64', 8: 'string', 11: 'double' };

describe('onnxSignature (checked against the onnx package on committed fixtures)', () => {
  it.each(Object.keys(expected))('reads inputs and outputs of %s', (name) => {
    const sig = onnxSignature(fs.readFileSync(path.join(DIR, `${name}.onnx`)));
    const want = expected[name]!;
    expect(sig.inputs).toEqual(want.inputs.map((i) => ({ name: i.name, type: TYPE[i.elemType], shape: i.shape })));
    expect(sig.outputs.map((o) => o.name)).toEqual(want.outputs);
  });

  it('describes non-tensor outputs such as ZipMap', () => {
    const sig = onnxSignature(fs.readFileSync(path.join(DIR, 'linear-classifier.onnx')));
    expect(sig.outputs[1]).toMatchObject({ name: 'probabilities', description: 'sequence<map<int64,float>>' });
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => onnxSignature(Buffer.from('hello world'))).toThrow(/not a valid ONNX model/);
    expect(() => onnxSignature(Buffer.alloc(0))).toThrow(/not a valid ONNX model/);
    const truncated = fs.readFileSync(path.join(DIR, 'per-feature.onnx')).subarray(0, 40);
    expect(() => onnxSignature(truncated)).toThrow(/not a valid ONNX model/);
  });
});
