import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../src/artifacts/index.js';
import { blobBodies, encodeSegments, PredictionStore, type PredictionRecord, tableLogWriter } from '../src/monitoring/index.js';
import { ownRequestPrefix } from '../src/shared/ids.js';
import { silentLogger } from '../src/shared/logger.js';
import { type Database, migrate, openDatabase, partitionDays, PredictionPartitions } from '../src/storage/index.js';
import { tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const DAY = 86_400_000;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const today = Date.parse(`${day(Date.now())}T00:00:00Z`);
// Two days well in the past, and one a week ahead that has no partition yet.
const D1 = today - 20 * DAY;
const D2 = today - 19 * DAY;
const AHEAD = today + 7 * DAY;

const record = (id: string, time: number, over: Partial<PredictionRecord> = {}): PredictionRecord => ({
  requestId: id,
  role: 'primary',
  deployment: 'd',
  model: 'm',
  version: 1,
  time,
  features: ['x'],
  batch: { rows: 1, columns: [Float64Array.of(time % 1000)] },
  outputs: [{ name: 'y', datatype: 'FP64', shape: [1], data: [0.5] }],
  latencyMs: 0.5,
  error: null,
  redact: [],
  ...over,
});
const own = (counter: number, time: number) => record(`${ownRequestPrefix()}${counter.toString(36)}`, time, { ownRequestId: true });

const postgres = (await databaseTargets()).filter((t) => t.name === 'postgres');
if (postgres.length === 0) console.warn('SKIP prediction log partitions: they exist on PostgreSQL only, which is unreachable here (see above)');

describe.each(postgres)('prediction log partitioned by day on $name', (target) => {
  let database: Database;
  let drop: () => Promise<void>;
  let blobRoot: string;
  let store: PredictionStore;
  let partitions: PredictionPartitions;
  const rows = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.id(table)}`.execute(database.db)).rows[0]!.n);

  beforeAll(async () => {
    const dir = tempDir();
    const db = await target.create(dir);
    drop = db.drop;
    database = openDatabase(db.config);
    blobRoot = path.join(dir, 'blobs');
    partitions = new PredictionPartitions(database.db);
    store = new PredictionStore(database.db, new FsBlobStore(blobRoot), silentLogger, partitions);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('moves the log written before the migration into the partitions of its days, ids and all', async () => {
    await migrate(database.db as never, database.dialect, '011-own-request-ids');
    // Segments as the unpartitioned tables held them: caller ids in the id table, made ids in the row.
    const before = encodeSegments([record('c1', D1 + 1000), record('c2', D1 + 2000), own(1, D1 + 3000)]).concat(
      encodeSegments([record('c3', D2 + 5000), own(2, D2 + 6000)]),
      encodeSegments([record('c4', today + 1000)]),
    );
    for (const d of before) {
      const { id } = await database.db
        .insertInto('prediction_segments')
        .values({
          deployment: d.deployment,
          model: d.model,
          first_time: d.firstTime,
          last_time: d.lastTime,
          records: d.records,
          body: Buffer.from(d.body!),
          id_prefix: d.own?.prefix ?? null,
          id_first: d.own?.first ?? null,
          id_last: d.own?.last ?? null,
          id_offsets: d.own ? Buffer.from(d.own.offsets) : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const ids = d.ids.split('\n').filter((x) => x !== '');
      if (ids.length) await database.db.insertInto('prediction_ids').values(ids.map((request_id) => ({ request_id, segment_id: Number(id) }))).execute();
    }
    const lastOldId = Number((await sql<{ m: string }>`select max(id) as m from prediction_segments`.execute(database.db)).rows[0]!.m);

    expect(await migrate(database.db as never, database.dialect)).toContain('015-cluster');
    expect(await partitionDays(database.db as never)).toEqual([day(D1), day(D2), day(today), day(today + DAY), day(today + 2 * DAY)]);
    expect(await rows(`prediction_segments_p${day(D1).replaceAll('-', '')}`)).toBe(1);
    expect(await rows(`prediction_ids_p${day(D1).replaceAll('-', '')}`)).toBe(2);
    expect(await rows('prediction_segments_default')).toBe(0);
    expect((await store.newest({ deployment: 'd' }, 10)).map((r) => r.requestId)).toEqual(['c4', `${ownRequestPrefix()}2`, 'c3', `${ownRequestPrefix()}1`, 'c2', 'c1']);
    expect(await store.known('d', ['c1', 'c3', 'c4', `${ownRequestPrefix()}1`, `${ownRequestPrefix()}2`, 'never'])).toEqual(
      new Set(['c1', 'c3', 'c4', `${ownRequestPrefix()}1`, `${ownRequestPrefix()}2`]),
    );
    // New segments continue the same sequence of ids.
    expect(await tableLogWriter(database).write(encodeSegments([record('c5', today + 2000)]))).toBe(1);
    expect((await store.locate(['c5'])).get('c5')!.segment).toBeGreaterThan(lastOldId);
  });

  it('puts a segment of a day without a partition in the default one, and upkeep moves it into a new partition of its day', async () => {
    const write = tableLogWriter(database).write;
    expect(await write(encodeSegments([record('ahead-1', AHEAD + 1000), record('ahead-2', AHEAD + 2000)]))).toBe(2);
    expect(await rows('prediction_segments_default')).toBe(1);
    expect(await rows('prediction_ids_default')).toBe(2);
    // The same caller id again, on another day: its first record stays, across partitions.
    expect(await write(encodeSegments([record('c1', today + 3000)]))).toBe(0);

    const made = await partitions.maintain(new Date(today + 3 * DAY), new Date(today - 30 * DAY).toISOString());
    expect(made).toEqual([day(today + 3 * DAY), day(today + 4 * DAY), day(today + 5 * DAY), day(AHEAD)]);
    expect(await rows('prediction_segments_default')).toBe(0);
    expect(await rows('prediction_ids_default')).toBe(0);
    expect(await rows(`prediction_ids_p${day(AHEAD).replaceAll('-', '')}`)).toBe(2);
    expect((await store.locate(['ahead-2', 'c1'])).get('ahead-2')).toMatchObject({ deployment: 'd' });
    expect((await store.newest({ deployment: 'd', since: new Date(AHEAD).toISOString() }, 10)).map((r) => r.requestId)).toEqual(['ahead-2', 'ahead-1']);
    // Nothing left to do: no partition made twice.
    expect(await partitions.maintain(new Date(today + 3 * DAY), new Date(today - 30 * DAY).toISOString())).toEqual([]);
  });

  it('drops whole days past the retention with their ids and blobs, keeps the day the cutoff falls in, and still joins labels across days', async () => {
    const write = blobBodies(new FsBlobStore(blobRoot), tableLogWriter(database), 0).write;
    expect(await write(encodeSegments([record('big', D1 + 9000)]))).toBe(1);
    const blob = (await store.locate(['big'])).get('big')!;
    const digest = (await database.db.selectFrom('prediction_segments').select('blob').where('id', '=', blob.segment).executeTakeFirstOrThrow()).blob!;
    const blobFile = path.join(blobRoot, 'sha256', digest.slice(0, 2), digest);
    expect(fs.existsSync(blobFile)).toBe(true);
    await database.db
      .insertInto('feedback')
      .values(['c1', 'c3', 'c4'].map((request_id) => ({ request_id, deployment: 'd', label: '1', received_at: new Date(today + 4000).toISOString() })))
      .execute();
    expect(await store.labels(['c1', 'c3', 'c4'])).toEqual(new Map([['c1', '1'], ['c3', '1'], ['c4', '1']]));
    expect(await store.known('d', ['c1', 'c3', 'c4'])).toEqual(new Set(['c1', 'c3', 'c4']));

    // The cutoff falls inside D2: D1 goes whole (four records: c1, c2, one made id, big), D2 stays whole.
    expect(await store.purge(new Date(D2 + 12 * 3_600_000).toISOString())).toBe(4);
    expect(await partitionDays(database.db as never)).not.toContain(day(D1));
    expect((await sql<{ t: string | null }>`select to_regclass(${`prediction_ids_p${day(D1).replaceAll('-', '')}`})::text as t`.execute(database.db)).rows[0]!.t).toBeNull();
    expect(fs.existsSync(blobFile)).toBe(false);
    expect(await store.known('d', ['c1', 'c2', 'c3', 'c4'])).toEqual(new Set(['c3', 'c4']));
    expect((await store.newest({ deployment: 'd', until: new Date(today).toISOString() }, 10)).map((r) => r.requestId)).toEqual([`${ownRequestPrefix()}2`, 'c3']);
  });
});
