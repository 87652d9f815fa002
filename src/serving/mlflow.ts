import type { OutputTensor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import type { InferInput } from './infer-input.js';

const invalid = (message: string) => new AppError('invalid_argument', message);

function fromRecords(records: unknown[], field: string): InferInput {
  const columns = new Map<string, unknown[]>();
  records.forEach((rec, r) => {
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw invalid(`${field}[${r}] must be an object of feature: value`);
    for (const [k, v] of Object.entries(rec)) {
      let col = columns.get(k);
      if (!col) columns.set(k, (col = new Array(records.length).fill(undefined)));
      col[r] = v;
    }
  });
  return { kind: 'columns', rows: records.length, columns };
}

function fromMatrix(rows: unknown[], field: string): InferInput {
  if (rows.every((r) => !Array.isArray(r) && (r === null || typeof r !== 'object'))) {
    return { kind: 'matrix', rows: rows.length, width: 1, data: rows };
  }
  const width = Array.isArray(rows[0]) ? rows[0].length : -1;
  const data: unknown[] = [];
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) throw invalid(`${field}[${r}] must be a list of feature values`);
    if (row.length !== width) throw invalid(`${field}[${r}] has ${row.length} values but ${field}[0] has ${width}`);
    data.push(...row);
  });
  return { kind: 'matrix', rows: rows.length, width, data };
}

function fromInstances(value: unknown, field: string): InferInput {
  if (Array.isArray(value)) {
    if (value.length === 0) throw invalid(`${field} is empty`);
    const objects = value.every((v) => v && typeof v === 'object' && !Array.isArray(v));
    return objects ? fromRecords(value, field) : fromMatrix(value, field);
  }
  if (value && typeof value === 'object') {
    // Columnar form: {"feature": [values], …}
    const entries = Object.entries(value);
    const n = Array.isArray(entries[0]?.[1]) ? (entries[0]![1] as unknown[]).length : 1;
    const columns = new Map<string, unknown[]>();
    for (const [k, v] of entries) {
      const col = Array.isArray(v) ? v : [v];
      if (col.length !== n) throw invalid(`${field}.${k} has ${col.length} values, others have ${n}`);
      columns.set(k, col);
    }
    return { kind: 'columns', rows: n, columns };
  }
  throw invalid(`${field} must be a list of rows or an object of columns`);
}

/** Parses an MLflow scoring body: dataframe_split, dataframe_records, instances or inputs. */
export function parseMlflowJson(body: unknown): InferInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('expected a JSON object with one of dataframe_split, dataframe_records, instances, inputs');
  }
  const b = body as Record<string, unknown>;
  const keys = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'].filter((k) => k in b);
  if (keys.length !== 1) throw invalid(`give exactly one of dataframe_split, dataframe_records, instances, inputs (got ${keys.length ? keys.join(', ') : 'none'})`);
  const key = keys[0]!;
  if (key === 'dataframe_split') {
    const split = b.dataframe_split as { columns?: unknown; data?: unknown };
    if (!split || !Array.isArray(split.data) || split.data.length === 0) throw invalid('dataframe_split.data must be a non-empty list of rows');
    const data = split.data as unknown[];
    if (split.columns === undefined) return fromMatrix(data, 'dataframe_split.data');
    if (!Array.isArray(split.columns) || !split.columns.every((c) => typeof c === 'string')) throw invalid('dataframe_split.columns must be a list of names');
    const names = split.columns as string[];
    const columns = new Map<string, unknown[]>(names.map((c) => [c, new Array(data.length)]));
    data.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== names.length) throw invalid(`dataframe_split.data[${r}] must have ${names.length} values`);
      names.forEach((c, i) => (columns.get(c)![r] = row[i]));
    });
    return { kind: 'columns', rows: data.length, columns };
  }
  if (key === 'dataframe_records') {
    if (!Array.isArray(b.dataframe_records) || b.dataframe_records.length === 0) throw invalid('dataframe_records must be a non-empty list of objects');
    return fromRecords(b.dataframe_records, 'dataframe_records');
  }
  return fromInstances(b[key], key);
}

/** Parses CSV with a header row; numbers become numbers, empty cells are missing. */
export function parseCsv(text: string): InferInput {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw invalid('CSV needs a header row and at least one data row');
  const split = (l: string) => l.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const header = split(lines[0]!);
  const columns = new Map<string, unknown[]>(header.map((h) => [h, []]));
  lines.slice(1).forEach((line, r) => {
    const cells = split(line);
    if (cells.length !== header.length) throw invalid(`CSV row ${r + 1} has ${cells.length} cells, the header has ${header.length}`);
    header.forEach((h, i) => {
      const c = cells[i]!;
      columns.get(h)!.push(c === '' ? null : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(c) ? Number(c) : c);
    });
  });
  return { kind: 'columns', rows: lines.length - 1, columns };
}

/** `{"predictions": …}`: one value per row for one output, one object per row for several. */
export function mlflowResponse(outputs: OutputTensor[], rows: number) {
  // Plain loops with each output's row width worked out once: at 64 rows the per-row
  // `Object.fromEntries` and shape arithmetic took most of the time of building the answer.
  const widths = outputs.map((o) => (o.shape.length > 1 ? o.shape.slice(1).reduce((a, b) => a * b, 1) : -1));
  const rowValue = (k: number, r: number) => {
    const w = widths[k]!;
    const data = outputs[k]!.data;
    return w < 0 ? data[r] : data.slice(r * w, (r + 1) * w);
  };
  const predictions = new Array<unknown>(rows);
  for (let r = 0; r < rows; r++) {
    if (outputs.length === 1) predictions[r] = rowValue(0, r);
    else {
      const row: Record<string, unknown> = {};
      for (let k = 0; k < outputs.length; k++) row[outputs[k]!.name] = rowValue(k, r);
      predictions[r] = row;
    }
  }
  return { predictions };
}
