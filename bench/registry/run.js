#!/usr/bin/env node
// bench/registry: seeds models × versions, then measures register throughput with 1 MB artifacts,
// p50/p99 of resolve-by-alias, get version, list a page of 100 and search by tag over HTTP, and the
// server's peak RSS, on SQLite and PostgreSQL. The peer is a bare node:http server answering a fixed
// JSON body: the floor for one HTTP round trip on this machine. Prints one JSON line.
//
//   node bench/registry/run.js [--models 1000] [--versions 100] [--ops 2000] [--db sqlite,postgres]
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openBlobStore } from '../../dist/artifacts/index.js';
import { migrate, openDatabase } from '../../dist/storage/index.js';
import { bareHttpPeer, peakRssMiB, request, round, summary, time } from '../lib/http-timing.js';
import { seed } from '../lib/seed-registry.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '1000' },
    versions: { type: 'string', default: '100' },
    ops: { type: 'string', default: '2000' },
    registrations: { type: 'string', default: '100' },
    db: { type: 'string', default: 'sqlite,postgres' },
    'pg-url': { type: 'string', default: process.env.SEXTANT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const MODELS = Number(args.models);
const VERSIONS = Number(args.versions);
const OPS = Number(args.ops);
const REGISTRATIONS = Number(args.registrations);

function startServer(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'sextant.js'), 'server', '--port', '0'], {
      env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

function multipartUpload(bytes) {
  const boundary = `b${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"format":"sextant-linear"}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="m"\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length } };
}

async function measure(url, models) {
  const pick = (i) => `model-${String((i * 7919) % models).padStart(5, '0')}`;
  const ok = async (p) => {
    const r = await p;
    if (r.status !== 200 && r.status !== 201) throw new Error(`HTTP ${r.status}: ${r.body}`);
    return r;
  };
  // Steady state, not cold start: touch every model once so the page cache and JIT are warm.
  const tw = Date.now();
  for (let m = 0; m < models; m++) await ok(request(`${url}/api/v1/models/${pick(m)}/versions?pageSize=100`));
  const warmSeconds = round((Date.now() - tw) / 1000, 1);
  // Operations interleave, so a pause (GC, checkpoint) lands on whichever request it hits rather
  // than on whichever series happened to run after the warm-up.
  const ops = {
    resolveAlias: (i) => `${url}/api/v1/models/${pick(i)}/versions/champion`,
    getVersion: (i) => `${url}/api/v1/models/${pick(i)}/versions/${1 + (i % VERSIONS)}`,
    listVersions: (i) => `${url}/api/v1/models/${pick(i)}/versions?pageSize=100`,
    listModels: () => `${url}/api/v1/models?pageSize=100`,
    searchTag: (i) => `${url}/api/v1/models?tag=team%3Dteam-${i % 20}&tag=tier%3Dgold&pageSize=100`,
  };
  const latencies = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let i = 0; i < OPS; i++) {
    for (const [name, target] of Object.entries(ops)) {
      const t = process.hrtime.bigint();
      await ok(request(target(i)));
      latencies[name].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const { resolveAlias, getVersion, listVersions, listModels, searchTag } = Object.fromEntries(
    Object.entries(latencies).map(([k, v]) => [k, summary(v)]),
  );
  // Register throughput: 1 MB artifacts onto one model, 4 uploads in flight.
  await ok(request(`${url}/api/v1/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench-register', task: 'regression' }) }));
  const uploads = Array.from({ length: REGISTRATIONS }, () => multipartUpload(randomBytes(1024 * 1024)));
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < uploads.length) {
        const u = uploads[next++];
        await ok(request(`${url}/api/v1/models/bench-register/versions`, { method: 'POST', headers: u.headers, body: u.body }));
      }
    }),
  );
  const registerPerSec = round(REGISTRATIONS / (Number(process.hrtime.bigint() - t0) / 1e9), 1);
  return { warmSeconds, resolveAlias, getVersion, listVersions, listModels, searchTag, registerPerSec };
}

async function runOn(kind, models) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-'));
  let env = { SEXTANT_HOME: home };
  let dropDb = async () => {};
  let dbConfig = { kind: 'sqlite', path: path.join(home, 'sextant.db') };
  if (kind === 'postgres') {
    const name = `sextant_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: args['pg-url'] });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(args['pg-url']);
    url.pathname = `/${name}`;
    env = { ...env, SEXTANT_DATABASE_URL: url.toString() };
    dbConfig = { kind: 'postgres', url: url.toString() };
    dropDb = async () => {
      const c = new pg.Client({ connectionString: args['pg-url'] });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  try {
    const database = openDatabase(dbConfig);
    await migrate(database.db, database.dialect);
    const t = Date.now();
    await seed(database, openBlobStore({ kind: 'fs', root: path.join(home, 'artifacts') }), models, VERSIONS);
    const seedSeconds = round((Date.now() - t) / 1000, 1);
    await database.close();
    const server = await startServer(env);
    try {
      const results = await measure(server.url, models);
      return { versions: models * VERSIONS, seedSeconds, ...results, peakRssMiB: peakRssMiB(server.child.pid) };
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.on('exit', r));
    }
  } finally {
    await dropDb();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const peer = await bareHttpPeer({ model: 'x', version: 1, digest: createHash('sha256').digest('hex') });
const peerLatency = summary(await time(OPS, () => request(peer.url)));
await peer.close();

const out = { bench: 'registry', date: new Date().toISOString(), models: MODELS, versionsPerModel: VERSIONS, peer: { bareNodeHttp: peerLatency }, results: {} };
for (const kind of args.db.split(',')) {
  const small = await runOn(kind, Math.max(1, Math.floor(MODELS / 10)));
  const full = await runOn(kind, MODELS);
  out.results[kind] = {
    ...full,
    resolveAliasP50VsBareHttp: round(full.resolveAlias.p50Ms / peerLatency.p50Ms, 2),
    rssAtTenthOfVersionsMiB: small.peakRssMiB,
    rssGrowthFactor: round(full.peakRssMiB / small.peakRssMiB, 2),
  };
}
console.log(JSON.stringify(out));
