import type { OutputTensor } from '../runtime/index.js';
import type { OwnIds } from './own-request-ids.js';
import type { PredictionRecord } from './prediction-log.js';
import { AS_JSON, type JsonParts, LATENCY, LAYOUT, type LegacyInputs, META, NONE, OFFSET, readBody, ROWS, FIRST_ROW, GROUP, TIME, VERSION } from './segment-body.js';

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
 * { "ids": [requestId or ""…], "roles": "ppsp…" (p primary, s shadow),
 *   "made"?: {"prefix", "counters": [offset, count]} (a request id the server made, as a
 *           counter per record, NaN where "ids" has it),
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
   * Per primary record, in order, the request id its caller chose, or an empty line when this
   * process made the id (`own` holds those); joined by newlines, which an id cannot hold; empty
   * when no caller chose one. The chosen ids go into the id index one by one. One string crosses
   * between processes far cheaper than an array of them.
   */
  ids: string;
  /** The primary records' ids this process made, found by their counters rather than indexed. */
  own?: OwnIds;
}

/** Logged inputs as readers see them: feature names and rows, null for a missing value. */
export interface LoggedInputs {
  features: string[];
  rows: (number | string | null)[][];
}

/** One logged inference as readers see it: what was logged, with its inputs as rows. */
export interface LoggedRecord extends Pick<PredictionRecord, 'requestId' | 'role' | 'deployment' | 'model' | 'version' | 'time' | 'latencyMs' | 'error' | 'outputs'> {
  /** Input rows (0 when the request had none). */
  rows: number;
  /** Decoded on demand: most readers need outputs only. */
  inputs(): LoggedInputs | null;
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
  const made = b.made && { prefix: b.made.prefix, counters: section(b.made.counters) };
  b.ids.forEach((id, i) => {
    const requestId = made && !Number.isNaN(made.counters[i]) ? made.prefix + made.counters[i]!.toString(36) : id;
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
