import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../src/artifacts/index.js';
import { blobBodies, encodeSegments, PredictionStore, type PredictionRecord, tableLogWriter } from '../src/monitoring/index.js';
import { MAX_ID_SPAN } from '../src/monitoring/own-request-ids.js';
import { ownRequestPrefix } from '../src/shared/ids.js';
import { silentLogger } from '../src/shared/logger.js';
import { type Database, migrate, untyped, openDatabase } from '../src/storage/index.js';
import { tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

const record = (id: string, seconds: number, over: Partial<PredictionRecord> = {}): PredictionRecord => ({
  requestId: id,
  role: 'primary',
  deployment: 'd',
  model: 'm',
  version: 1,
  time: T0 + seconds * 1000,
  features: ['x'],
  batch: { rows: 1, columns: [Float64Array.of(seconds)] },
  outputs: [{ name: 'y', datatype: 'FP64', shape: [1], data: [seconds / 10] }],
  latencyMs: 0.5,
  error: null,
  redact: [],
  ...over,
});

const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

describe.each(await databaseTargets())('prediction store on $name', (target) => {
  let database: Database;
  let drop: () => Promise<void>;
  let blobRoot: string;
  let store: PredictionStore;
  const warnings: unknown[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    const db = await target.create(dir);
    drop = db.drop;
    database = openDatabase(db.config);
    await migrate(untyped(database.db), database.dialect);
    blobRoot = path.join(dir, 'blobs');
    const logger = { ...silentLogger, warn: (o: unknown) => void warnings.push(o) } as typeof silentLogger;
    store = new PredictionStore(database.db, new FsBlobStore(blobRoot), logger);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('merges overlapping segments newest first, filters by time, role, deployment and model', async () => {
    const write = tableLogWriter(database).write;
    // Two writers' segments overlap in time, as two serving processes' do.
    expect(await write(encodeSegments([record('a1', 1), record('a3', 3), record('a5', 5)]))).toBe(3);
    expect(await write(encodeSegments([record('b2', 2), record('b4', 4), record('b4', 4, { role: 'shadow', version: 2 }), record('o1', 1, { deployment: 'other', model: 'n' })]))).toBe(4);
    const ids = async (filter: Parameters<PredictionStore['scan']>[0]) => {
      const out: string[] = [];
      for await (const r of store.scan(filter)) out.push(`${r.requestId}${r.role === 'shadow' ? '/s' : ''}`);
      return out;
    };
    expect(await ids({ deployment: 'd', role: 'primary' })).toEqual(['a5', 'b4', 'a3', 'b2', 'a1']);
    expect(await ids({ deployment: 'd', since: iso(2), until: iso(5) })).toEqual(['b4', 'b4/s', 'a3', 'b2']);
    expect(await ids({ model: 'n' })).toEqual(['o1']);
    const [newest] = await store.newest({ deployment: 'd', role: 'shadow' }, 1);
    expect(newest).toMatchObject({ requestId: 'b4', version: 2, time: T0 + 4000, rows: 1, latencyMs: 0.5, error: null, outputs: [{ name: 'y', datatype: 'FP64', shape: [1], data: [0.4] }] });
    expect(newest!.inputs()).toEqual({ features: ['x'], rows: [[4]] });
  });

  it('keeps the first record of a repeated request id, and knows ids per deployment', async () => {
    const write = tableLogWriter(database).write;
    expect(await write(encodeSegments([record('a1', 6), record('c6', 6), record('c6', 7)]))).toBe(1);
    const c6 = (await store.newest({ deployment: 'd' }, 100)).filter((r) => r.requestId === 'c6' || r.requestId === 'a1');
    expect(c6.map((r) => [r.requestId, r.time])).toEqual([
      ['c6', T0 + 6000],
      ['a1', T0 + 1000],
    ]);
    expect(await store.known('d', ['a1', 'b4', 'c6', 'o1', 'nope'])).toEqual(new Set(['a1', 'b4', 'c6']));
    expect(await store.known('other', ['o1', 'a1'])).toEqual(new Set(['o1']));
  });

  it('counts labels of a model received after a time, through the id index', async () => {
    await database.db
      .insertInto('feedback')
      .values([
        { request_id: 'a1', deployment: 'd', label: '1', received_at: iso(10) },
        { request_id: 'b2', deployment: 'd', label: '0', received_at: iso(20) },
        { request_id: 'o1', deployment: 'other', label: '0', received_at: iso(20) },
        { request_id: 'ghost', deployment: 'd', label: '0', received_at: iso(20) },
      ])
      .execute();
    expect(await store.countLabels('m', iso(0))).toBe(2);
    expect(await store.countLabels('m', iso(15))).toBe(1);
    expect(await store.labels(['a1', 'b2', 'zzz'])).toEqual(
      new Map([
        ['a1', '1'],
        ['b2', '0'],
      ]),
    );
  });

  it('removes the blob of a segment its writer refused', async () => {
    const refusing = { write: () => Promise.reject(new Error('disk full')), close: async () => {} };
    // Directories may stay; no file does.
    const files = () => fs.readdirSync(path.join(blobRoot, 'sha256'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
    const before = files();
    await expect(blobBodies(new FsBlobStore(blobRoot), refusing, 0).write(encodeSegments([record('refused', 50)]))).rejects.toThrow('disk full');
    expect(files()).toBe(before);
    expect(fs.readdirSync(path.join(blobRoot, 'tmp'))).toEqual([]);
  });

  it('keeps large bodies in the blob store, reads them back, leaves out a segment whose blob is gone, and purges rows and blobs', async () => {
    const write = blobBodies(new FsBlobStore(blobRoot), tableLogWriter(database), 0).write;
    expect(await write(encodeSegments([record('big1', 30), record('big2', 31)]))).toBe(2);
    expect(await write(encodeSegments([record('lost', 40)]))).toBe(1);
    const rows = await database.db.selectFrom('prediction_segments').select(['body', 'blob', 'first_time']).where('first_time', '>=', iso(30)).orderBy('first_time').execute();
    expect(rows.map((r) => [r.body, typeof r.blob])).toEqual([
      [null, 'string'],
      [null, 'string'],
    ]);
    const big = await store.newest({ deployment: 'd', since: iso(30), until: iso(35) }, 10);
    expect(big.map((r) => [r.requestId, r.inputs()!.rows])).toEqual([
      ['big2', [[31]]],
      ['big1', [[30]]],
    ]);
    const lostBlob = rows[1]!.blob!;
    fs.rmSync(path.join(blobRoot, 'sha256', lostBlob.slice(0, 2), lostBlob));
    expect(await store.newest({ deployment: 'd', since: iso(40) }, 10)).toEqual([]);
    expect(warnings).toHaveLength(1);

    // Everything before 35 s goes (segments wholly older, their ids, blobs and labels): the 10 records
    // stored (the repeated c6 and a1 were never counted); the rest stays.
    expect(await store.purge(iso(35))).toBe(10);
    expect((await store.newest({ deployment: 'd' }, 100)).map((r) => r.requestId)).toEqual([]);
    expect(await store.known('d', ['a1', 'big1', 'lost'])).toEqual(new Set(['lost']));
    expect(fs.existsSync(path.join(blobRoot, 'sha256', rows[0]!.blob!.slice(0, 2), rows[0]!.blob!))).toBe(false);
    expect(await store.labels(['a1', 'b2'])).toEqual(new Map());
  });

  it('finds the ids the server made by prefix and counter without indexing them, and keeps the first record of one a caller sends back', async () => {
    const write = tableLogWriter(database).write;
    const made = (counter: number) => `${ownRequestPrefix()}${counter.toString(36)}`;
    const own = (counter: number, seconds: number, over: Partial<PredictionRecord> = {}) => record(made(counter), seconds, { deployment: 'e', model: 'me', ownRequestId: true, ...over });
    // One process's counters, spread over two deployments whose segments' ranges overlap.
    expect(await write(encodeSegments([own(1, 100), own(3, 100), own(5, 101), own(2, 101, { deployment: 'f' })]))).toBe(4);
    // Counters further apart than one segment may span: two segments.
    expect(await write(encodeSegments([own(7, 102), own(MAX_ID_SPAN + 6, 103)]))).toBe(2);
    // A caller sends back an id made here as its own x-request-id: the first record stays.
    expect(await write(encodeSegments([record(made(3), 104, { deployment: 'e', model: 'me' }), record('caller-9', 104, { deployment: 'e', model: 'me' })]))).toBe(1);
    expect(await write(encodeSegments([record(made(7), 105, { deployment: 'f', model: 'me' })]))).toBe(0);

    const indexed = await database.db.selectFrom('prediction_ids').select('request_id').where('request_id', 'in', [made(1), made(3), 'caller-9']).execute();
    expect(indexed.map((r) => r.request_id)).toEqual(['caller-9']);
    const asked = [made(0), made(1), made(2), made(3), made(4), made(5), made(7), made(MAX_ID_SPAN + 6), made(MAX_ID_SPAN + 7), 'caller-9', 'Xx7_-aBcDeFg1'];
    expect(await store.known('e', asked)).toEqual(new Set([made(1), made(3), made(5), made(7), made(MAX_ID_SPAN + 6), 'caller-9']));
    expect(await store.known('f', asked)).toEqual(new Set([made(2)]));
    expect((await store.locate([made(2)])).get(made(2))).toMatchObject({ deployment: 'f', model: 'me' });
    const e = await store.newest({ deployment: 'e' }, 100);
    expect(e.map((r) => [r.requestId, (r.time - T0) / 1000])).toEqual([
      ['caller-9', 104],
      [made(MAX_ID_SPAN + 6), 103],
      [made(7), 102],
      [made(5), 101],
      [made(1), 100],
      [made(3), 100],
    ]);

    await database.db
      .insertInto('feedback')
      .values([made(1), made(2), made(4), 'caller-9', made(MAX_ID_SPAN + 6)].map((request_id) => ({ request_id, deployment: 'e', label: '1', received_at: iso(110) })))
      .execute();
    expect(await store.countLabels('me', iso(105))).toBe(4);
    expect(await store.countLabels('me', iso(105), 3)).toBe(3);
    expect(await store.countLabels('me', iso(110))).toBe(0);
  });
});

describe.each(await databaseTargets())('migration 010 on $name', (target) => {
  it('carries predictions logged a row each into segments the store reads, inputs and outputs intact', async () => {
    const dir = tempDir();
    const db = await target.create(dir);
    const database = openDatabase(db.config);
    try {
      await migrate(untyped(database.db), database.dialect, '009-pipelines');
      const legacy = (id: string, role: string, seconds: number, inputs: string | null, error: string | null = null) => ({
        request_id: id,
        role,
        deployment: 'd',
        model: 'm',
        version: error ? null : 1,
        time: iso(seconds),
        rows: inputs ? 2 : 0,
        inputs,
        outputs: error ? null : JSON.stringify([{ name: 'y', datatype: 'FP64', shape: [2], data: [0.25, null] }]),
        latency_ms: 1.5,
        error,
      });
      const f64 = Buffer.from(Float64Array.of(1, 2, 3, NaN).buffer).toString('base64');
      await database.db
        .insertInto('predictions' as never)
        .values([
          legacy('old-1', 'primary', 1, JSON.stringify({ features: ['x', 'y'], rows: 2, f64 })),
          legacy('old-1', 'shadow', 1, JSON.stringify({ features: ['x', 'y'], rows: [[1, 'a'], [2, null]] })),
          legacy('old-2', 'primary', 2, null, 'expected 2 features'),
        ] as never)
        .execute();
      expect(await migrate(untyped(database.db), database.dialect)).toContain('010-prediction-segments');
      const store = new PredictionStore(database.db, new FsBlobStore(path.join(dir, 'blobs')), silentLogger);
      const all = await store.newest({ deployment: 'd' }, 10);
      expect(all.map((r) => [r.requestId, r.role, r.version, r.time, r.rows, r.latencyMs, r.error])).toEqual([
        ['old-2', 'primary', null, T0 + 2000, 0, 1.5, 'expected 2 features'],
        ['old-1', 'primary', 1, T0 + 1000, 2, 1.5, null],
        ['old-1', 'shadow', 1, T0 + 1000, 2, 1.5, null],
      ]);
      expect(all[1]!.inputs()).toEqual({ features: ['x', 'y'], rows: [[1, 3], [2, null]] });
      expect(all[2]!.inputs()).toEqual({ features: ['x', 'y'], rows: [[1, 'a'], [2, null]] });
      expect(all[1]!.outputs).toEqual([{ name: 'y', datatype: 'FP64', shape: [2], data: [0.25, null] }]);
      expect(await store.known('d', ['old-1', 'old-2', 'old-3'])).toEqual(new Set(['old-1', 'old-2']));
    } finally {
      await database.close();
      await db.drop();
    }
  });
});
