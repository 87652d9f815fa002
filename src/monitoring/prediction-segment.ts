import type { OutputTensor } from '../runtime/index.js';
import type { PredictionRecord } from './prediction-log.js';

/**
 * The prediction log is stored in segments: one row holds a batch of one deployment's records,
 * column by column, instead of one row per record. A row per record cost the log most of its
 * price (an insert into three B-trees, about 7 µs; the structured clone of a row object to the
 * writing process; the text of its numbers), enough to take a third off serving throughput.
 *
 * The body is binary (format 2): the bytes `SXP2`, the length of a JSON head as a 32-bit
 * little-endian integer, the head in UTF-8, zeros up to a multiple of 8 bytes, then float64
 * arrays, little-endian, where the head says (`[byte offset after the head, count]`):
 *
 * ```
 * { "ids": [requestId…], "roles": "ppsp…" (p primary, s shadow),
 *   "meta": [offset, count] (8 per record: time in epoch ms, latency ms, version or NaN, input
 *           rows, input group, its first row, output layout, its offset),
 *   "groups": [{"features": […], "f64": [offset, count]}…],
 *   "layouts": [{"tensors": [{"name", "datatype", "shape"}…], "f64": [offset, count]}…],
 *   "json": {"<record>": {"in"?: {"features", "rows"}, "out"?: [tensor…], "err"?: message}} }
 * ```
 *
 * Inputs made of numbers only (the usual case) go into a group per feature list: the rows of all
 * its records, row after row, NaN for missing; a record points at its first row. Outputs made of
 * numbers go into a layout per set of tensor names, datatypes and shapes: each record's data,
 * tensor after tensor, at its offset. Group or layout -1 means none; -2 means the record's entry
 * in `json` holds them (inputs with strings or redacted features as rows, other outputs as
 * tensors). An older per-record inputs form, `{"features", "rows": n, "f64"}` with the values
 * feature after feature, is read there too. Numbers as bytes rather than text: writing numbers
 * as text, or as base64 in a large string, was most of the cost of encoding a segment.
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
  body?: Uint8Array;
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

type LegacyInputs = { features: string[]; rows: LoggedInputs['rows'] | number; f64?: string };

interface JsonParts {
  in?: LegacyInputs;
  out?: OutputTensor[];
  err?: string;
}

/** Where a float64 array sits after the head: byte offset, count. */
type Section = [number, number];

interface Head {
  ids: string[];
  roles: string;
  meta: Section;
  groups: { features: string[]; f64: Section }[];
  layouts: { tensors: TensorShape[]; f64: Section }[];
  json: Record<string, JsonParts>;
}

const MAGIC = 'SXP2';

/** Lays out a segment body: magic, head length, head, padding, then the arrays at their offsets. */
export function segmentBody(head: Omit<Head, 'meta' | 'groups' | 'layouts'>, meta: Float64Array, groups: { features: string[]; f64: Float64Array }[], layouts: { tensors: TensorShape[]; f64: Float64Array }[]): Buffer {
  let offset = 0;
  const place = (a: Float64Array): Section => {
    const s: Section = [offset, a.length];
    offset += a.byteLength;
    return s;
  };
  const full: Head = {
    ...head,
    meta: place(meta),
    groups: groups.map((g) => ({ features: g.features, f64: place(g.f64) })),
    layouts: layouts.map((l) => ({ tensors: l.tensors, f64: place(l.f64) })),
  };
  const text = Buffer.from(JSON.stringify(full), 'utf8');
  const start = (8 + text.length + 7) & ~7;
  const out = Buffer.alloc(start + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(text.length, 4);
  text.copy(out, 8);
  let k = start;
  for (const a of [meta, ...groups.map((g) => g.f64), ...layouts.map((l) => l.f64)]) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), k);
    k += a.byteLength;
  }
  return out;
}

/** The JSON head of a segment body (ids, roles, sections, per-record JSON parts). */
export const segmentHead = (body: Uint8Array): Head => readBody(body).head;

function readBody(body: Uint8Array): { head: Head; section: (s: Section) => Float64Array } {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a prediction log segment (format 2)');
  const length = bytes.readUInt32LE(4);
  const head = JSON.parse(bytes.toString('utf8', 8, 8 + length)) as Head;
  const start = (8 + length + 7) & ~7;
  return {
    head,
    // Copied out: the bytes need not sit on an 8-byte boundary of their buffer.
    section: ([offset, count]) => {
      const values = new Float64Array(count);
      new Uint8Array(values.buffer).set(bytes.subarray(start + offset, start + offset + count * 8));
      return values;
    },
  };
}

/** Float64 values per record in `meta`, and where each sits. */
const META = 8;
const TIME = 0;
const LATENCY = 1;
const VERSION = 2;
const ROWS = 3;
const GROUP = 4;
const FIRST_ROW = 5;
const LAYOUT = 6;
const OFFSET = 7;
const NONE = -1;
const AS_JSON = -2;

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

  view(): Float64Array {
    return this.values.subarray(0, this.length);
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
    const v = this.values;
    let k = this.length;
    for (let i = 0; i < n; i++) for (let f = 0; f < width; f++) v[k++] = columns[f]![i]!;
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
    const v = this.values;
    let k = offset;
    for (const t of outputs) {
      const data = t.data;
      for (let i = 0; i < data.length; i++) {
        const x = data[i];
        if (typeof x !== 'number') return -1;
        v[k++] = x;
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

function allFloat64(columns: readonly unknown[]): columns is Float64Array[] {
  for (let i = 0; i < columns.length; i++) if (!(columns[i] instanceof Float64Array)) return false;
  return true;
}

/**
 * One deployment's records on their way to a segment. `add` copies what it keeps (numbers into
 * float64 arrays), so nothing of the request outlives it.
 */
export class SegmentBuilder {
  private readonly ids: string[] = [];
  private roles = '';
  private readonly primaryIds: string[] = [];
  private readonly meta = new Float64s();
  private readonly json: Record<string, JsonParts> = {};
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
    const i = this.ids.length;
    this.ids.push(r.requestId);
    if (r.role === 'primary') {
      this.roles += 'p';
      this.primaryIds.push(r.requestId);
    } else this.roles += 's';
    if (r.time < this.first) this.first = r.time;
    if (r.time > this.last) this.last = r.time;
    const m = this.meta;
    m.reserve(META);
    const k = m.length;
    m.length += META;
    const v = m.values;
    v[k + TIME] = r.time;
    v[k + LATENCY] = r.latencyMs;
    v[k + VERSION] = r.version ?? NaN;
    v[k + ROWS] = r.batch?.rows ?? 0;
    this.rows += r.batch?.rows ?? 1;
    if (r.error !== null) this.part(i).err = r.error;
    this.keepInputs(r, i, k);
    this.keepOutputs(r.outputs, i, k);
  }

  private part(i: number): JsonParts {
    return (this.json[i] ??= {});
  }

  private keepInputs(r: PredictionRecord, i: number, k: number): void {
    const v = this.meta.values;
    if (!r.batch) {
      v[k + GROUP] = NONE;
      return;
    }
    const cols = r.batch.columns;
    if (r.redact.length > 0 || cols.length !== r.features.length || !allFloat64(cols)) {
      v[k + GROUP] = AS_JSON;
      this.part(i).in = jsonRows(r);
      return;
    }
    // A segment holds one or two feature lists (one per version serving).
    let g = 0;
    while (g < this.groups.length && this.groups[g]!.features !== r.features) g++;
    if (g === this.groups.length) this.groups.push(new InputGroup(r.features));
    v[k + GROUP] = g;
    v[k + FIRST_ROW] = this.groups[g]!.append(cols, r.batch.rows);
  }

  private keepOutputs(outputs: OutputTensor[] | null, i: number, k: number): void {
    const v = this.meta.values;
    if (!outputs) {
      v[k + LAYOUT] = NONE;
      return;
    }
    let l = 0;
    while (l < this.layouts.length && !this.layouts[l]!.fits(outputs)) l++;
    if (l === this.layouts.length) this.layouts.push(new OutputLayout(outputs));
    const offset = this.layouts[l]!.append(outputs);
    if (offset >= 0) {
      v[k + LAYOUT] = l;
      v[k + OFFSET] = offset;
    } else {
      v[k + LAYOUT] = AS_JSON;
      this.part(i).out = JSON.parse(JSON.stringify(outputs)) as OutputTensor[];
    }
  }

  draft(): SegmentDraft {
    const body = segmentBody(
      { ids: this.ids, roles: this.roles, json: this.json },
      this.meta.view(),
      this.groups.map((g) => ({ features: [...g.features], f64: g.view() })),
      this.layouts.map((l) => ({ tensors: l.tensors, f64: l.view() })),
    );
    return {
      deployment: this.deployment,
      model: this.model,
      firstTime: new Date(this.first).toISOString(),
      lastTime: new Date(this.last).toISOString(),
      records: this.ids.length,
      body,
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
export function decodeSegment(row: { deployment: string; model: string; body: Uint8Array; skip?: ReadonlySet<number> }): LoggedRecord[] {
  const { head: b, section } = readBody(row.body);
  const meta = section(b.meta);
  const groups: (Float64Array | undefined)[] = [];
  const layouts: (Float64Array | undefined)[] = [];
  const outputs = (l: number, offset: number, json: JsonParts | undefined): OutputTensor[] | null => {
    if (l === NONE) return null;
    if (l === AS_JSON) return json?.out ?? null;
    const layout = b.layouts[l]!;
    const data = (layouts[l] ??= section(layout.f64));
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
    const k = i * META;
    const json = b.json[i];
    const rows = meta[k + ROWS]!;
    const g = meta[k + GROUP]!;
    const first = meta[k + FIRST_ROW]!;
    records.push({
      requestId,
      role: b.roles[i] === 's' ? 'shadow' : 'primary',
      deployment: row.deployment,
      model: row.model,
      version: finiteOrNull(meta[k + VERSION]),
      time: meta[k + TIME]!,
      rows,
      latencyMs: meta[k + LATENCY]!,
      error: json?.err ?? null,
      outputs: outputs(meta[k + LAYOUT]!, meta[k + OFFSET]!, json),
      inputs: () => {
        if (g === NONE) return null;
        if (g === AS_JSON) return json?.in ? decodeInputsObject(json.in) : null;
        const features = b.groups[g]!.features;
        const m = (groups[g] ??= section(b.groups[g]!.f64));
        const w = features.length;
        return { features, rows: Array.from({ length: rows }, (_, r) => Array.from({ length: w }, (_, f) => finiteOrNull(m[(first + r) * w + f]))) };
      },
    });
  });
  return records;
}
