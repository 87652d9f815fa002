import { describe, expect, it } from 'vitest';
import { readMlmodel } from './mlmodel.js';

// MLmodel files as MLflow writes them: signatures are JSON strings inside the YAML.

describe('readMlmodel', () => {
  it('takes a tensor-based signature with names, dtypes and shapes', () => {
    const choice = readMlmodel(`flavors:
  onnx: {data: model.onnx}
signature:
  inputs: '[{"type": "tensor", "name": "float_input", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'
  outputs: '[{"type": "tensor", "name": "label", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
`);
    expect(choice).toMatchObject({ flavor: 'onnx', format: 'onnx', file: 'model.onnx', flavors: ['onnx'] });
    expect(choice.signature).toEqual({
      inputs: [{ name: 'float_input', type: 'float', shape: [-1, 4] }],
      outputs: [{ name: 'label', type: 'int64', shape: [-1] }],
    });
  });

  it('leaves the signature to the model file when MLmodel’s tensors have no names, and marks optional columns', () => {
    const unnamed = readMlmodel(`flavors:
  onnx: {data: m.onnx}
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'
`);
    expect(unnamed.signature).toBeUndefined();
    const optional = readMlmodel(`flavors:
  xgboost: {data: model.json, model_format: json}
signature:
  inputs: '[{"type": "long", "name": "age", "required": false}, {"type": "string", "name": "country"}]'
`);
    expect(optional).toMatchObject({ flavor: 'xgboost', format: 'xgboost-json', file: 'model.json' });
    expect(optional.signature?.inputs).toEqual([{ name: 'age', type: 'int64', optional: true }, { name: 'country', type: 'string' }]);
  });

  it('refuses what Sextant cannot serve, naming it', () => {
    expect(() => readMlmodel('flavors:\n  pytorch: {model_data: data}\n  python_function: {loader_module: mlflow.pytorch}\n')).toThrow(/flavors \(pytorch, python_function\) include none/);
    expect(() => readMlmodel('flavors:\n  onnx: {}\n')).toThrow(/names no model file/);
    expect(() => readMlmodel('flavors:\n  onnx: {data: /etc/passwd}\n')).toThrow(/outside the model directory/);
    expect(() => readMlmodel(`flavors:\n  onnx: {data: m.onnx}\nsignature:\n  inputs: '[{"type": "datetime", "name": "at"}]'\n`)).toThrow(/column type "datetime"/);
    expect(() => readMlmodel('flavors: [unclosed\n')).toThrow(/not valid YAML/);
    expect(() => readMlmodel('just text')).toThrow(/not a YAML mapping/);
  });
});
