import type { OutputTensor } from '../runtime/index.js';
import type { PredictionRecord } from './prediction-log.js';

/**
 * The prediction log is stored in segments: one row holds a batch of one deployment's records,
 * column by column, instead of one row per record. A row per record cost the log most of its
 * price (an insert into three B-trees, about 7 µs; the structured clone of a row object to the
 * writing process; the text of its numbers), enough to take a third off serving throughput.
 *
 * The body is JSON (format 1):
 *
 * ```
 * { "ids": [requestId…], "roles": "ppsp…" (p primary, s shadow), "versions": [n|null…],
 *   "t": [epoch ms…], "lat": [ms…], "rows": [n…], "err": [string|null…],
 *   "in": [null | [group, firstRow] | {"features": […], "rows": [[…]…]}…],
 *   "groups": [{"features": […], "f64": "<base64>"}…],
 *   "out": [null | [layout, offset] | [tensor…]…],
 *   "layouts": [{"tensors": [{"name", "datatype", "shape"}…], "f64": "<base64>"}…] }
 * ```
 *
 * Inputs made of numbers only (the usual case) go into a group per feature list: the rows of all
 * its records as float64, little-endian, row after row, NaN for missing; a record points at its
 * first row. Inputs with strings or redacted features are JSON rows. Outputs made of numbers go
 * into a layout per set of tensor names, datatypes and shapes: each record's data, tensor after
 * tensor, at its offset. Other outputs are JSON tensors. An older per-record inputs form,
 * `{"features", "rows": n, "f64"}` with the record's values feature after feature, is still read.
 *
 * Records are copied into their segment when logged, not when written: a record that held on to
 * its request's arrays until the next write kept them alive past a young-generation collection,
 * and promoting them cost serving more than the rest of the log together.
 */
export interface SegmentDraft {
  deployment: string;
  model: string;
  /** ISO time of the oldest and newest record. */
  firstTime: string;
  lastTime: string;
  records: number;
  /** The encoded records; absent once they are kept in the blob store instead (then `blob` names them). */
  body?: string;
  /** Digest of the blob holding the body, for segments too large to keep in a database row. */
  blob?: string;
  /**
   * Request ids of the primary records, in order, joined by newlines (which an id cannot hold):
   * the index feedback joins through. One string crosses between processes far cheaper than an
   * array of them.
   */
  ids: string;
}

/** Logged inputs as readers see them: feature names and rows, null for a missing value. */
export interface LoggedInputs {
  features: string[];
  rows: (number | string | null)[][];
}

/** One logged inference as readers see it. */
export interface LoggedRecord {
  requestId: string;
  role: 'primary' | 'shadow';
  deployment: string;
  model: string;
  version: number | null;
  /** Epoch milliseconds. */
  time: number;
  rows: number;
  latencyMs: number;
  error: string | null;
  outputs: OutputTensor[] | null;
  /** Decoded on demand: most readers need outputs only. */
  inputs(): LoggedInputs | null;
}

interface TensorShape {
  name: string;
  datatype: OutputTensor['datatype'];
  shape: number[];
}

interface Body {
  ids: string[];
  roles: string;
  versions: (number | null)[];
  t: number[];
  lat: number[];
  rows: number[];
  err: (string | null)[];
  in: (null | [number, number] | LegacyInputs)[];
  groups: { features: string[]; f64: string }[];
  out: (null | [number, number] | OutputTensor[])[];
  layouts?: { tensors: TensorShape[]; f64: string }[];
}

type LegacyInputs = { features: string[]; rows: LoggedInputs['rows'] | number; f64?: string };

/** A growing float64 array. */
class Float64s {
  values = new Float64Array(256);
  length = 0;

  reserve(n: number): void {
    if (this.length + n <= this.values.length) return;
    const grown = new Float64Array(Math.max(this.length + n, this.values.length * 2));
    grown.set(this.values.subarray(0, this.length));
    this.values = grown;
  }

  base64(): string {
    return Buffer.from(this.values.buffer, 0, this.length * 8).toString('base64');
  }
}

/** The rows of one feature list's records, row after row. */
class InputGroup extends Float64s {
  constructor(readonly features: readonly string[]) {
    super();
  }

  /** Appends a batch's rows (its columns are float64); returns the index of its first row. */
  append(columns: readonly Float64Array[], n: number): number {
    const width = columns.length;
    this.reserve(n * width);
    const first = this.length / width;
    let k = this.length;
    for (let i = 0; i < n; i++) for (let f = 0; f < width; f++) this.values[k++] = columns[f]![i]!;
    this.length = k;
    return first;
  }
}

/** The numeric outputs of records with the same tensors, datatypes and shapes. */
class OutputLayout extends Float64s {
  readonly tensors: TensorShape[];

  constructor(outputs: readonly OutputTensor[]) {
    super();
    this.tensors = outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] }));
  }

  fits(outputs: readonly OutputTensor[]): boolean {
    if (outputs.length !== this.tensors.length) return false;
    for (let i = 0; i < outputs.length; i++) {
      const a = outputs[i]!;
      const b = this.tensors[i]!;
      if (a.name !== b.name || a.datatype !== b.datatype || a.shape.length !== b.shape.length) return false;
      for (let d = 0; d < a.shape.length; d++) if (a.shape[d] !== b.shape[d]) return false;
    }
    return true;
  }

  /** Appends the outputs' data; returns its offset, or -1 (nothing kept) when a value is not a number. */
  append(outputs: readonly OutputTensor[]): number {
    const offset = this.length;
    let size = 0;
    for (const t of outputs) {
      // Data that does not fill its shape would be read back wrong: such outputs stay JSON.
      if (t.data.length !== t.shape.reduce((a, d) => a * d, 1)) return -1;
      size += t.data.length;
    }
    this.reserve(size);
    let k = offset;
    for (const t of outputs) {
      for (const v of t.data) {
        if (typeof v !== 'number') return -1;
        this.values[k++] = v;
      }
    }
    this.length = k;
    return offset;
  }
}

function jsonRows(r: PredictionRecord): LegacyInputs {
  const cols = r.batch!.columns;
  const redacted = r.redact.length > 0 ? r.features.map((f) => r.redact.includes(f)) : null;
  const rows = new Array<(number | string | null)[]>(r.batch!.rows);
  for (let i = 0; i < rows.length; i++) {
    const row = new Array<number | string | null>(cols.length);
    for (let f = 0; f < cols.length; f++) {
      const v = cols[f]![i];
      row[f] = redacted?.[f] ? '[redacted]' : typeof v === 'number' && !Number.isFinite(v) ? null : (v as number | string | null);
    }
    rows[i] = row;
  }
  return { features: [...r.features], rows };
}

/**
 * One deployment's records on their way to a segment. `add` copies what it keeps (numbers into
 * float64 arrays), so nothing of the request outlives it.
 */
export class SegmentBuilder {
  private readonly ids: string[] = [];
  private roles = '';
  private readonly primaryIds: string[] = [];
  private readonly versions: (number | null)[] = [];
  private readonly t: number[] = [];
  private readonly lat: number[] = [];
  private readonly rowCounts: number[] = [];
  private readonly err: (string | null)[] = [];
  private readonly inputs: Body['in'] = [];
  private readonly outputs: Body['out'] = [];
  private readonly groups: InputGroup[] = [];
  private readonly layouts: OutputLayout[] = [];
  private first = Infinity;
  private last = -Infinity;
  /** Input rows held (a record without inputs counts as one). */
  rows = 0;

  constructor(
    readonly deployment: string,
    readonly model: string,
  ) {}

  get records(): number {
    return this.ids.length;
  }

  add(r: PredictionRecord): void {
    this.ids.push(r.requestId);
    this.roles += r.role === 'primary' ? 'p' : 's';
    if (r.role === 'primary') this.primaryIds.push(r.requestId);
    this.versions.push(r.version);
    this.t.push(r.time);
    this.lat.push(r.latencyMs);
    this.rowCounts.push(r.batch?.rows ?? 0);
    this.rows += r.batch?.rows ?? 1;
    this.err.push(r.error);
    if (r.time < this.first) this.first = r.time;
    if (r.time > this.last) this.last = r.time;
    this.inputs.push(this.keepInputs(r));
    this.outputs.push(r.outputs ? this.keepOutputs(r.outputs) : null);
  }

  private keepInputs(r: PredictionRecord): Body['in'][number] {
    if (!r.batch) return null;
    const cols = r.batch.columns;
    if (r.redact.length > 0 || cols.length !== r.features.length || !cols.every((c) => c instanceof Float64Array)) return jsonRows(r);
    // Linear search: a segment holds one or two feature lists (one per version serving).
    let g = this.groups.findIndex((x) => x.features === r.features);
    if (g < 0) g = this.groups.push(new InputGroup(r.features)) - 1;
    return [g, this.groups[g]!.append(cols as Float64Array[], r.batch.rows)];
  }

  private keepOutputs(outputs: OutputTensor[]): Body['out'][number] {
    let l = this.layouts.findIndex((x) => x.fits(outputs));
    if (l < 0) l = this.layouts.push(new OutputLayout(outputs)) - 1;
    const offset = this.layouts[l]!.append(outputs);
    return offset < 0 ? (JSON.parse(JSON.stringify(outputs)) as OutputTensor[]) : [l, offset];
  }

  draft(): SegmentDraft {
    const body: Body = {
      ids: this.ids,
      roles: this.roles,
      versions: this.versions,
      t: this.t,
      lat: this.lat,
      rows: this.rowCounts,
      err: this.err,
      in: this.inputs,
      groups: this.groups.map((g) => ({ features: [...g.features], f64: g.base64() })),
      out: this.outputs,
      layouts: this.layouts.map((l) => ({ tensors: l.tensors, f64: l.base64() })),
    };
    return {
      deployment: this.deployment,
      model: this.model,
      firstTime: new Date(this.first).toISOString(),
      lastTime: new Date(this.last).toISOString(),
      records: this.ids.length,
      body: JSON.stringify(body),
      ids: this.primaryIds.join('\n'),
    };
  }
}

/** Encodes records into one segment per deployment. */
export function encodeSegments(records: readonly PredictionRecord[]): SegmentDraft[] {
  const builders = new Map<string, SegmentBuilder>();
  for (const r of records) {
    const key = `${r.deployment}\n${r.model}`;
    let b = builders.get(key);
    if (!b) builders.set(key, (b = new SegmentBuilder(r.deployment, r.model)));
    b.add(r);
  }
  return [...builders.values()].map((b) => b.draft());
}

function float64s(base64: string): Float64Array {
  const bytes = Buffer.from(base64, 'base64');
  // Copied into a fresh buffer: a base64-decoded Buffer need not sit on an 8-byte boundary.
  const values = new Float64Array(bytes.length >> 3);
  new Uint8Array(values.buffer).set(bytes.subarray(0, values.length << 3));
  return values;
}

const finiteOrNull = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/** `[index, offset]` into a segment's float64 arrays (a JSON form is an object or an array of objects). */
const isPointer = (v: unknown): v is [number, number] => Array.isArray(v) && typeof v[0] === 'number';

/** Reads the per-record inputs forms: JSON rows, and the older feature-after-feature float64. */
export function decodeInputsObject(j: LegacyInputs): LoggedInputs {
  if (typeof j.rows !== 'number' || typeof j.f64 !== 'string') return j as LoggedInputs;
  const n = j.rows;
  const values = float64s(j.f64);
  return { features: j.features, rows: Array.from({ length: n }, (_, i) => j.features.map((_, f) => finiteOrNull(values[f * n + i]))) };
}

/**
 * The records of a stored segment, in the order they were logged, without the primary records
 * whose ordinals are in `skip` (their request id had been logged before).
 */
export function decodeSegment(row: { deployment: string; model: string; body: string; skip?: ReadonlySet<number> }): LoggedRecord[] {
  const b = JSON.parse(row.body) as Body;
  const groups: (Float64Array | undefined)[] = [];
  const matrix = (g: number) => (groups[g] ??= float64s(b.groups[g]!.f64));
  const layouts: (Float64Array | undefined)[] = [];
  const outputs = (o: Body['out'][number]): OutputTensor[] | null => {
    if (o === null || o === undefined) return null;
    if (!isPointer(o)) return o;
    const [l, offset] = o;
    const layout = b.layouts![l]!;
    const data = (layouts[l] ??= float64s(layout.f64));
    let k = offset;
    return layout.tensors.map((t) => {
      const size = t.shape.reduce((a, d) => a * d, 1);
      const values = Array.from(data.subarray(k, k + size), finiteOrNull) as number[];
      k += size;
      return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: values };
    });
  };
  let primary = -1;
  const records: LoggedRecord[] = [];
  b.ids.forEach((requestId, i) => {
    if (b.roles[i] !== 's' && row.skip?.has(++primary)) return;
    const inp = b.in[i] ?? null;
    const rows = b.rows[i]!;
    records.push({
      requestId,
      role: b.roles[i] === 's' ? 'shadow' : 'primary',
      deployment: row.deployment,
      model: row.model,
      version: b.versions[i] ?? null,
      time: b.t[i]!,
      rows,
      latencyMs: b.lat[i]!,
      error: b.err[i] ?? null,
      outputs: outputs(b.out[i] ?? null),
      inputs: () => {
        if (inp === null) return null;
        if (!isPointer(inp)) return decodeInputsObject(inp);
        const [g, first] = inp;
        const features = b.groups[g]!.features;
        const m = matrix(g);
        const w = features.length;
        return { features, rows: Array.from({ length: rows }, (_, r) => Array.from({ length: w }, (_, f) => finiteOrNull(m[(first + r) * w + f]))) };
      },
    });
  });
  return records;
}
