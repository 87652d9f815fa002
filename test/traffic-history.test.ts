import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficHistory, TrafficRecorder } from '../src/serving/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { migrate, untyped, openDatabase, type Database } from '../src/storage/index.js';
import { tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const targets = await databaseTargets();

// Step boundaries in milliseconds: T0 starts a 10-second step.
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(targets)('traffic history on $name', (target) => {
  let database: Database;
  let drop: () => Promise<void>;
  let now = T0;
  const clock = { now: () => new Date(now) };

  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    database = openDatabase(db.config);
    await migrate(untyped(database.db), database.dialect);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('sums every process\'s steps: requests per version, errors, refused inputs, shed requests and latency quantiles', async () => {
    // Two serving processes, each counting on its own.
    const a = new TrafficRecorder(database.db, silentLogger, () => now);
    const b = new TrafficRecorder(database.db, silentLogger, () => now);
    now = T0 + 1000;
    for (let i = 1; i <= 100; i++) a.record('fraud', 1, i, 'ok'); // latencies 1..100 ms
    a.record('fraud', 1, 5, 'error');
    b.record('fraud', 2, 7, 'invalid');
    b.shed('fraud');
    b.record('other', 1, 3, 'ok');
    now = T0 + 12_000; // the next step: the first one is finished
    a.record('fraud', 1, 2, 'ok');
    await a.flush();
    await b.flush();
    const history = new TrafficHistory(database.db, clock);
    const s = await history.series('fraud', { since: iso(T0), until: iso(T0 + 30_000), step: 10 });
    expect(s.stepSeconds).toBe(10);
    expect(s.points.map((p) => p.time)).toEqual([iso(T0), iso(T0 + 10_000), iso(T0 + 20_000)]);
    const [first, second, third] = s.points;
    expect(first).toMatchObject({ requests: 102, errors: 1, invalid: 1, shed: 1, versions: { '1': 101, '2': 1 } });
    // The histogram's buckets are 5 % apart: the 50th of 1..100 plus 5 and 7 is 49 ms.
    expect(first!.p50Ms!).toBeGreaterThanOrEqual(49);
    expect(first!.p50Ms!).toBeLessThanOrEqual(49 * 1.05);
    expect(first!.p99Ms!).toBeGreaterThanOrEqual(99);
    expect(first!.p99Ms!).toBeLessThanOrEqual(100 * 1.05);
    // The step in progress is still in memory; a shutdown flush writes it.
    expect(second).toMatchObject({ requests: 0, p50Ms: null, versions: {} });
    await a.flush(true);
    const again = await history.series('fraud', { since: iso(T0), until: iso(T0 + 30_000), step: 10 });
    expect(again.points[1]).toMatchObject({ requests: 1, versions: { '1': 1 } });
    expect(third!.requests).toBe(0);
    // Coarser steps add the finer ones up.
    const coarse = await history.series('fraud', { since: iso(T0), until: iso(T0 + 30_000), step: 30 });
    expect(coarse.points).toHaveLength(1);
    expect(coarse.points[0]).toMatchObject({ requests: 103, versions: { '1': 102, '2': 1 } });
  });

  it('answers each deployment\'s last minute for the overview', async () => {
    now = T0 + 65_000;
    const recent = await new TrafficHistory(database.db, clock).recent(['fraud', 'other', 'idle'], 60);
    expect(recent.get('fraud')).toMatchObject({ windowSeconds: 60, shed: 1 });
    expect(recent.get('fraud')!.requestsPerSecond).toBeCloseTo(103 / 60, 10);
    expect(recent.get('fraud')!.errorRate).toBeCloseTo(1 / 103, 10);
    expect(recent.get('other')).toMatchObject({ requestsPerSecond: 1 / 60, errorRate: 0 });
    expect(recent.get('idle')).toEqual({ windowSeconds: 60, requestsPerSecond: 0, p50Ms: null, p99Ms: null, errorRate: null, shed: 0 });
  });

  it('refuses steps that are not multiples of 10 s, reversed ranges and too many points, naming the field', async () => {
    const history = new TrafficHistory(database.db, clock);
    await expect(history.series('fraud', { step: 15 })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('query.step') });
    await expect(history.series('fraud', { since: iso(T0 + 1000), until: iso(T0) })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('query.since') });
    await expect(history.series('fraud', { since: iso(T0 - 30 * 86_400_000), until: iso(T0), step: 10 })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('at most') });
    await expect(history.series('fraud', { since: 'yesterday' })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('query.since') });
    // By default an hour in at most 360 points.
    const s = await history.series('fraud', {});
    expect(s.points.length).toBeLessThanOrEqual(361);
    expect(Date.parse(s.until) - Date.parse(s.since)).toBe(3_600_000);
  });
});
