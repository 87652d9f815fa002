import { describe, expect, it } from 'vitest';
import type { Column, OutputTensor } from '../runtime/index.js';
import type { PredictionRecord } from './prediction-log.js';
import { decodeInputsObject, decodeSegment as decodeRow, type SegmentDraft } from './prediction-segment.js';
import { releaseBody, segmentHead } from './segment-body.js';
import { encodeSegments } from './segment-builder.js';
import { ownRequestPrefix } from '../shared/ids.js';
import { holdsCounter, MAX_ID_SPAN } from './own-request-ids.js';

const FEATURES = ['f0', 'f1'];

function record(columns: Column[], rows: number, over: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    requestId: 'r',
    role: 'primary',
    deployment: 'd',
    model: 'm',
    version: 1,
    time: 0,
    features: columns.length === 2 ? FEATURES : columns.map((_, i) => `f${i}`),
    batch: { rows, columns },
    outputs: null,
    latencyMs: 0,
    error: null,
    redact: [],
    ...over,
  };
}

/** The rows as readers expect them: redacted features as "[redacted]", missing values (NaN, ±Infinity) as null. */
function reference(r: PredictionRecord) {
  return Array.from({ length: r.batch!.rows }, (_, i) =>
    r.batch!.columns.map((c, f) => {
      if (r.redact.includes(r.features[f]!)) return '[redacted]';
      const v = c[i]!;
      return typeof v === 'number' && !Number.isFinite(v) ? null : v;
    }),
  );
}

const decodeSegment = (d: SegmentDraft, skip?: Set<number>) => decodeRow({ ...d, body: d.body!, skip });
const roundTrip = (records: PredictionRecord[]) => encodeSegments(records).flatMap((d) => decodeSegment(d));

describe('prediction log segments', () => {
  it('stores numbers-only batches as float64 losslessly, several records sharing one matrix, and reads each back', () => {
    const a = record([Float64Array.of(1.5, NaN, -0, 1e-300, 0.1 + 0.2), Float64Array.of(Infinity, -Infinity, 123456789.123, Number.MAX_VALUE, -2.5)], 5, { requestId: 'a', time: 1000 });
    const b = record([Float64Array.of(7), Float64Array.of(8)], 1, { requestId: 'b', time: 2000, version: 2, latencyMs: 0.25 });
    const [draft] = encodeSegments([a, b]);
    expect(segmentHead(draft!.body!).groups).toHaveLength(1);
    expect(draft).toMatchObject({ deployment: 'd', model: 'm', records: 2, ids: 'a\nb', firstTime: new Date(1000).toISOString(), lastTime: new Date(2000).toISOString() });
    const [ra, rb] = decodeSegment(draft!);
    expect(ra!.inputs()).toEqual({ features: FEATURES, rows: reference(a) });
    expect(ra!.inputs()!.rows[4]).toEqual([0.1 + 0.2, -2.5]);
    expect(rb).toMatchObject({ requestId: 'b', role: 'primary', version: 2, time: 2000, rows: 1, latencyMs: 0.25, error: null, outputs: null });
    expect(rb!.inputs()).toEqual({ features: FEATURES, rows: [[7, 8]] });
  });

  it('writes JSON rows when a batch has strings, keeping every character', () => {
    const r = record([Float64Array.of(1.5, NaN, -0, 1e-300), Float64Array.of(Infinity, -Infinity, 123456789.123, 0.1 + 0.2), ['a "quoted" \\ value', 'ü\n', '', '\u2028']], 4);
    // JSON has no -0: the text round trip is the reference here.
    expect(roundTrip([r])[0]!.inputs()).toEqual(JSON.parse(JSON.stringify({ features: r.features, rows: reference(r) })));
  });

  it('redacts the named features in every row', () => {
    const r = record([Float64Array.of(1, 2), Float64Array.of(5, 6), Float64Array.of(3, 4)], 2, { redact: ['f1'] });
    expect(roundTrip([r])[0]!.inputs()!.rows).toEqual([
      [1, '[redacted]', 3],
      [2, '[redacted]', 4],
    ]);
  });

  it('keeps roles, errors, outputs and records without inputs; one segment per deployment; only primary ids are indexed', () => {
    const outputs: OutputTensor[] = [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }];
    const records = [
      record([Float64Array.of(1), Float64Array.of(2)], 1, { requestId: 'x', outputs }),
      record([Float64Array.of(1), Float64Array.of(2)], 1, { requestId: 'x', role: 'shadow', version: 2, outputs }),
      record([], 0, { requestId: 'y', batch: null, version: null, error: 'expected 2 features' }),
      record([Float64Array.of(), Float64Array.of()], 0, { requestId: 'z', deployment: 'other' }),
    ];
    const drafts = encodeSegments(records);
    expect(drafts.map((d) => [d.deployment, d.ids])).toEqual([
      ['d', 'x\ny'],
      ['other', 'z'],
    ]);
    const back = drafts.flatMap((d) => decodeSegment(d));
    expect(back.map((r) => [r.requestId, r.role, r.version, r.error, r.outputs])).toEqual([
      ['x', 'primary', 1, null, outputs],
      ['x', 'shadow', 2, null, outputs],
      ['y', 'primary', null, 'expected 2 features', null],
      ['z', 'primary', 1, null, null],
    ]);
    expect(back[2]!.inputs()).toBeNull();
    expect(back[3]!.inputs()).toEqual({ features: FEATURES, rows: [] });
  });

  it('keeps the ids this process made as counters, not in the index list, and starts a new segment before their range grows too wide', () => {
    const made = (counter: number) => `${ownRequestPrefix()}${counter.toString(36)}`;
    const own = (counter: number, over: Partial<PredictionRecord> = {}) => record([Float64Array.of(counter), Float64Array.of(0)], 1, { requestId: made(counter), ownRequestId: true, ...over });
    const drafts = encodeSegments([
      own(40),
      record([Float64Array.of(1), Float64Array.of(2)], 1, { requestId: 'caller-1' }),
      // Finished before the request that started earlier: counters need not arrive in order.
      own(38),
      own(38, { role: 'shadow', version: 2 }),
      // Made by another process (another prefix), or a caller's id: indexed.
      record([Float64Array.of(1), Float64Array.of(2)], 1, { requestId: 'Zz9_-aBcDeFg5', ownRequestId: true }),
      own(38 + MAX_ID_SPAN - 1),
      own(40 + MAX_ID_SPAN),
    ]);
    expect(drafts.map((d) => [d.ids, d.own && { ...d.own, offsets: [...new Uint32Array(new Uint8Array(d.own.offsets).buffer)] }])).toEqual([
      ['\ncaller-1\n\nZz9_-aBcDeFg5\n', { prefix: ownRequestPrefix(), first: 38, last: 38 + MAX_ID_SPAN - 1, offsets: [0, 2, MAX_ID_SPAN - 1] }],
      ['', { prefix: ownRequestPrefix(), first: 40 + MAX_ID_SPAN, last: 40 + MAX_ID_SPAN, offsets: [0] }],
    ]);
    // The body keeps the ids made here as counters (the shadow's too), and every record reads back with its id.
    const head = segmentHead(drafts[0]!.body!);
    expect(head.ids).toEqual(['', 'caller-1', '', '', 'Zz9_-aBcDeFg5', '']);
    expect(head.made?.prefix).toBe(ownRequestPrefix());
    expect(drafts.flatMap((d) => decodeSegment(d)).map((r) => `${r.requestId}${r.role === 'shadow' ? '/s' : ''}`)).toEqual([made(40), 'caller-1', made(38), `${made(38)}/s`, 'Zz9_-aBcDeFg5', made(38 + MAX_ID_SPAN - 1), made(40 + MAX_ID_SPAN)]);
    const { first, offsets } = drafts[0]!.own!;
    expect([37, 38, 39, 40, 41, 38 + MAX_ID_SPAN - 1].map((c) => holdsCounter(first, offsets, c))).toEqual([false, true, false, true, false, true]);
  });

  it('stores numeric outputs as float64 by layout, and other outputs as JSON', () => {
    const scores = (p: number): OutputTensor[] => [
      { name: 'label', datatype: 'INT64', shape: [1], data: [p > 0.5 ? 1 : 0] },
      { name: 'probabilities', datatype: 'FP64', shape: [1, 2], data: [1 - p, p] },
    ];
    const words: OutputTensor[] = [{ name: 'label', datatype: 'BYTES', shape: [2], data: ['cat', 'dog'] }];
    const ragged: OutputTensor[] = [{ name: 'y', datatype: 'FP64', shape: [3], data: [1, 2] }];
    const missing: OutputTensor[] = [{ name: 'y', datatype: 'FP32', shape: [2], data: [NaN, 0.5] }];
    const outs = [scores(0.1 + 0.2), scores(0.9), words, ragged, missing];
    const [draft] = encodeSegments(outs.map((outputs, i) => record([Float64Array.of(i), Float64Array.of(i)], 1, { requestId: `o${i}`, outputs })));
    // The two score records share one layout; the other three are JSON.
    const body = segmentHead(draft!.body!);
    expect(body.layouts.map((l) => l.tensors.map((t) => t.name))).toEqual([['label', 'probabilities'], ['label'], ['y'], ['y']]);
    expect(Object.keys(body.json)).toEqual(['2', '3']);
    const back = decodeSegment(draft!).map((r) => r.outputs);
    expect(back.slice(0, 4)).toEqual(outs.slice(0, 4));
    // JSON has no NaN: a missing output value reads back as null, as it is answered.
    expect(back[4]![0]!.data).toEqual([null, 0.5]);
  });

  it('reads the older per-record forms', () => {
    const values = Float64Array.of(1, 2, 3, NaN);
    const f64 = Buffer.from(values.buffer).toString('base64');
    // Feature after feature: f0 of both rows, then f1.
    expect(decodeInputsObject({ features: FEATURES, rows: 2, f64 })).toEqual({ features: FEATURES, rows: [[1, 3], [2, null]] });
    expect(decodeInputsObject({ features: FEATURES, rows: [[1, 'a']] })).toEqual({ features: FEATURES, rows: [[1, 'a']] });
  });

  it('leaves out the primary records marked skipped, counting primaries only', () => {
    const records = ['a', 'b', 'b', 'c'].map((id, i) => record([Float64Array.of(i), Float64Array.of(-i)], 1, { requestId: id, role: i === 2 ? 'shadow' : 'primary' }));
    const [d] = encodeSegments(records);
    // Primary ordinals: a 0, b 1, c 2 (the shadow record of b is not counted, and stays).
    expect(decodeSegment(d!, new Set([1])).map((r) => [r.requestId, r.role, r.inputs()!.rows])).toEqual([
      ['a', 'primary', [[0, -0]]],
      ['b', 'shadow', [[2, -2]]],
      ['c', 'primary', [[3, -3]]],
    ]);
  });

  it('builds each segment on the buffers of the one before without mixing their values', () => {
    const rows = (n: number, from: number) => record([Float64Array.from({ length: n }, (_, i) => from + i), Float64Array.from({ length: n }, (_, i) => -(from + i))], n);
    const big = rows(3000, 0);
    const [first] = encodeSegments([big, { ...rows(1, 0), outputs: [{ name: 'p', datatype: 'FP64', shape: [1], data: [0.5] }] }]);
    // Built after the first was drafted, on its recycled (larger, not cleared) buffers.
    const small = rows(2, 10_000);
    const [second] = encodeSegments([small, { ...rows(1, 7), outputs: [{ name: 'p', datatype: 'FP64', shape: [1], data: [0.25] }] }]);
    expect(decodeSegment(second!).map((r) => [r.inputs()!.rows, r.outputs])).toEqual([
      [reference(small), null],
      [[[7, -7]], [{ name: 'p', datatype: 'FP64', shape: [1], data: [0.25] }]],
    ]);
    const [a, b] = decodeSegment(first!);
    expect(a!.inputs()!.rows).toEqual(reference(big));
    expect(b!.outputs).toEqual([{ name: 'p', datatype: 'FP64', shape: [1], data: [0.5] }]);
  });

  it('recycles a large body once released, never one still in use, each decoding to its own values', () => {
    const rows = (n: number, from: number) => record([Float64Array.from({ length: n }, (_, i) => from + i), Float64Array.from({ length: n }, (_, i) => -(from + i))], n);
    const inUse: { draft: SegmentDraft; from: number }[] = [];
    const seen = new Set<ArrayBufferLike>();
    for (let k = 0; k < 20; k++) {
      const [draft] = encodeSegments([rows(5000, k * 100_000)]);
      expect(draft!.body!.byteLength).toBeGreaterThan(64 * 1024);
      // Two segments in flight, as when the writer has not answered yet.
      expect(inUse.some((u) => u.draft.body!.buffer === draft!.body!.buffer)).toBe(false);
      seen.add(draft!.body!.buffer);
      inUse.push({ draft: draft!, from: k * 100_000 });
      for (const u of inUse) expect(decodeSegment(u.draft)[0]!.inputs()!.rows).toEqual(reference(rows(5000, u.from)));
      if (inUse.length > 2) releaseBody(inUse.shift()!.draft.body);
    }
    // Twenty bodies on a handful of buffers: released ones came back.
    expect(seen.size).toBeLessThan(8);
    // Small bodies are not pooled: releasing one changes nothing.
    const [small] = encodeSegments([rows(2, 0)]);
    releaseBody(small!.body);
    expect(encodeSegments([rows(2, 5)])[0]!.body!.buffer).not.toBe(small!.body!.buffer);
  });
});
