#!/usr/bin/env node
// bench/monitoring/log-writer: the prediction log writer's sustained rate. Pushes 1-row records of
// a 20-feature model (inputs, label and probabilities, as served) into PredictionLog as fast as the
// queue takes them and measures records written per second into SQLite (WAL, a file) and into the
// machine's PostgreSQL, with the server's settings (SEGMENT_BOUNDS and the default flush interval:
// segments of up to 4,000 records, written every 250 ms or when full; bodies over 64 KiB kept in the blob store, a local
// folder here). Twice: with request ids the server made (the usual case: found by their counters,
// not indexed) and with ids callers chose (`x-request-id`: one index entry each).
// Medians of --runs runs; prints one JSON line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Counter, Gauge, Registry } from 'prom-client';
import { FsBlobStore } from '../../dist/artifacts/index.js';
import { loadConfig } from '../../dist/config/index.js';
import { blobBodies, PredictionLog, PredictionStore, SEGMENT_BOUNDS, tableLogWriter } from '../../dist/monitoring/index.js';
import { newRequestId } from '../../dist/shared/ids.js';
import { silentLogger } from '../../dist/shared/logger.js';
import { migrate, openDatabase } from '../../dist/storage/index.js';
import { median, round } from '../lib/http-timing.js';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' }, pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' } } });
const N = Number(args.records);
const RUNS = Number(args.runs);
const features = Array.from({ length: 20 }, (_, j) => `x${j}`);
const registry = new Registry();
const metrics = {
  queued: new Gauge({ name: 'q', help: 'q', registers: [registry] }),
  dropped: new Counter({ name: 'd', help: 'd', registers: [registry] }),
  written: new Counter({ name: 'w', help: 'w', registers: [registry] }),
};
const record = (i, callerIds) => ({
  requestId: callerIds ? `bench-${i}` : newRequestId(),
  ownRequestId: !callerIds,
  role: 'primary',
  deployment: 'bench',
  model: 'bench',
  version: 1,
  time: Date.now(),
  features,
  batch: { rows: 1, columns: features.map((_, j) => Float64Array.of(i * 0.001 + j)) },
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [1], data: [i % 2] },
    { name: 'probabilities', datatype: 'FP64', shape: [1, 2], data: [0.3, 0.7] },
  ],
  latencyMs: 0.2,
  error: null,
  redact: [],
});

async function measure(config, blobRoot, callerIds) {
  const database = openDatabase(config);
  await migrate(database.db, database.dialect);
  const blobs = new FsBlobStore(blobRoot);
  const store = new PredictionStore(database.db, blobs, silentLogger);
  const log = new PredictionLog(store, blobBodies(blobs, tableLogWriter(database)), { maxQueue: 100_000, ...SEGMENT_BOUNDS, flushMs: loadConfig({ env: {} }).monitoring.logFlushMs }, metrics, silentLogger);
  log.start();
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; ) {
    // Offer records as fast as the queue accepts them; yield so the writer's timer runs.
    while (i < N && log.enqueue(record(i, callerIds))) i++;
    await new Promise((r) => setImmediate(r));
  }
  await log.close();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  let n = 0;
  for await (const r of store.scan({ deployment: 'bench' })) n += r.role === 'primary' ? 1 : 0;
  await store.purge(new Date(Date.now() + 60_000).toISOString());
  await database.close();
  if (n !== N) throw new Error(`wrote ${n} of ${N} records`);
  return N / seconds;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-logwriter-'));
const schema = `bench_${process.pid}`;
const pg = (await import('pg')).default;
const admin = new pg.Client({ connectionString: args.pg });
await admin.connect();
await admin.query(`create schema ${schema}`);
const rates = { sqlite: [], postgres: [], sqliteCallerIds: [], postgresCallerIds: [] };
try {
  for (let r = 0; r < RUNS; r++) {
    for (const callerIds of [false, true]) {
      const suffix = callerIds ? 'CallerIds' : '';
      rates[`sqlite${suffix}`].push(await measure({ kind: 'sqlite', path: path.join(tmp, `log-${r}-${suffix}.db`) }, path.join(tmp, 'blobs'), callerIds));
      rates[`postgres${suffix}`].push(await measure({ kind: 'postgres', url: args.pg, schema }, path.join(tmp, 'blobs'), callerIds));
    }
  }
} finally {
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
  fs.rmSync(tmp, { recursive: true, force: true });
}
const perSecond = (k) => round(median(rates[k]), 0);
console.log(
  JSON.stringify({
    bench: 'log-writer',
    date: new Date().toISOString(),
    records: N,
    features: 20,
    sqliteRowsPerSecond: perSecond('sqlite'),
    postgresRowsPerSecond: perSecond('postgres'),
    callerIds: { sqliteRowsPerSecond: perSecond('sqliteCallerIds'), postgresRowsPerSecond: perSecond('postgresCallerIds') },
  }),
);
