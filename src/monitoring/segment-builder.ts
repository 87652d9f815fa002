import type { Column, OutputTensor } from '../runtime/index.js';
import type { PredictionRecord } from './prediction-log.js';
import type { SegmentDraft } from './prediction-segment.js';
import { giveBuffer, takeBuffer } from './buffer-pool.js';
import { ownRequestCounter, ownRequestPrefix } from '../shared/ids.js';
import { OwnIdCollector } from './own-request-ids.js';
import { AS_JSON, FIRST_ROW, GROUP, type JsonParts, LATENCY, LAYOUT, type LegacyInputs, META, NONE, OFFSET, ROWS, segmentBody, type TensorShape, TIME, VERSION } from './segment-body.js';

const take = (min: number): Float64Array => new Float64Array(takeBuffer(min * 8));
const give = (a: Float64Array): void => giveBuffer(a.buffer as ArrayBuffer);

/** A growing float64 array on recycled buffers. */
class Float64s {
  values = take(0);
  length = 0;

  reserve(n: number): void {
    if (this.length + n <= this.values.length) return;
    const grown = take(this.length + n);
    grown.set(this.values.subarray(0, this.length));
    give(this.values);
    this.values = grown;
  }

  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }

  /** Hands the buffer back for later segments; this array is empty afterwards. */
  recycle(): void {
    give(this.values);
    this.values = new Float64Array(0);
    this.length = 0;
  }
}

/** The rows of one feature list's records, row after row. */
class InputGroup extends Float64s {
  constructor(readonly features: readonly string[]) {
    super();
  }

  /**
   * Appends a batch's rows; returns the index of its first row, or -1 (nothing kept) when a column
   * is not float64. One pass, column by column, checks and copies.
   */
  append(columns: readonly Column[], n: number): number {
    const width = columns.length;
    this.reserve(n * width);
    const start = this.length;
    const v = this.values;
    for (let f = 0; f < width; f++) {
      const c = columns[f]!;
      if (!(c instanceof Float64Array)) return -1;
      if (n === 1) v[start + f] = c[0]!;
      else for (let i = 0, k = start + f; i < n; i++, k += width) v[k] = c[i]!;
    }
    this.length = start + n * width;
    return start / width;
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

/**
 * One deployment's records on their way to a segment. `add` copies what it keeps (numbers into
 * float64 arrays), so nothing of the request outlives it.
 */
export class SegmentBuilder {
  /** Per record its request id, or '' when this process made it (`made` holds its counter). */
  private readonly ids: string[] = [];
  private readonly made = new Float64s();
  private anyMade = false;
  /** Which records are shadows' (the rest are primary): a string grown a letter a record cost more. */
  private readonly shadows: number[] = [];
  private primaries = 0;
  /** Ids callers chose, with their ordinal among the primary records (`own` has the rest). */
  private readonly given: [number, string][] = [];
  private readonly own = new OwnIdCollector();
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

  /**
   * Copies a record in; false (and nothing kept) when it belongs in another segment: another
   * model's, or one whose own request ids it would stretch too far.
   */
  add(r: PredictionRecord): boolean {
    if (r.model !== this.model) return false;
    const c = r.ownRequestId === true ? ownRequestCounter(r.requestId) : -1;
    const i = this.ids.length;
    if (r.role === 'primary') {
      if (c < 0) this.given.push([this.primaries, r.requestId]);
      else if (!this.own.take(c)) return false;
      this.primaries++;
    } else this.shadows.push(i);
    const made = this.made;
    made.reserve(1);
    if (c < 0) {
      this.ids.push(r.requestId);
      made.values[made.length++] = NaN;
    } else {
      this.ids.push('');
      made.values[made.length++] = c;
      this.anyMade = true;
    }
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
    return true;
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
    if (r.redact.length === 0 && cols.length === r.features.length) {
      // A segment holds one or two feature lists (one per version serving).
      let g = 0;
      while (g < this.groups.length && this.groups[g]!.features !== r.features) g++;
      const created = g === this.groups.length;
      if (created) this.groups.push(new InputGroup(r.features));
      const first = this.groups[g]!.append(cols, r.batch.rows);
      if (first >= 0) {
        v[k + GROUP] = g;
        v[k + FIRST_ROW] = first;
        return;
      }
      if (created) this.groups.pop()!.recycle();
    }
    // Strings, redacted features or a batch that does not match its feature list: JSON rows.
    v[k + GROUP] = AS_JSON;
    this.part(i).in = jsonRows(r);
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

  /** Encodes the records; the builder's arrays go back to the pool, so this is its last use. */
  draft(): SegmentDraft {
    let roles = 'p'.repeat(this.ids.length);
    if (this.shadows.length > 0) {
      const letters = roles.split('');
      for (const i of this.shadows) letters[i] = 's';
      roles = letters.join('');
    }
    let ids = '';
    if (this.given.length > 0) {
      const lines = new Array<string>(this.primaries).fill('');
      for (const [k, id] of this.given) lines[k] = id;
      ids = lines.join('\n');
    }
    const body = segmentBody(
      { ids: this.ids, roles, json: this.json },
      this.meta.view(),
      this.groups.map((g) => ({ features: [...g.features], f64: g.view() })),
      this.layouts.map((l) => ({ tensors: l.tensors, f64: l.view() })),
      this.anyMade ? { prefix: ownRequestPrefix(), counters: this.made.view() } : undefined,
    );
    for (const a of [this.meta, this.made, ...this.groups, ...this.layouts]) a.recycle();
    return {
      deployment: this.deployment,
      model: this.model,
      firstTime: new Date(this.first).toISOString(),
      lastTime: new Date(this.last).toISOString(),
      records: this.ids.length,
      body,
      ids,
      own: this.own.build(),
    };
  }
}

/** Encodes records into one segment per deployment. */
export function encodeSegments(records: readonly PredictionRecord[]): SegmentDraft[] {
  const builders = new Map<string, SegmentBuilder>();
  const sealed: SegmentBuilder[] = [];
  for (const r of records) {
    const key = `${r.deployment}\n${r.model}`;
    let b = builders.get(key);
    if (!b?.add(r)) {
      if (b) sealed.push(b);
      builders.set(key, (b = new SegmentBuilder(r.deployment, r.model)));
      b.add(r);
    }
  }
  return [...sealed, ...builders.values()].map((b) => b.draft());
}
