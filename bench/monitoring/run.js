#!/usr/bin/env node
// bench/monitoring: (1) a full drift report on 100,000 rows × (20 numeric + 5 categorical), reference
// against current, Sextant's stats module against numpy + scipy doing the same tests (peer script
// beside this one), both timed on data already in memory; (2) rows/s into streaming profiles of 25
// features on one core, after --warmup untimed runs (the first runs of the ingest loops take 0.4–0.8
// million rows/s while the JIT settles; a server profiles windows all day). Medians of --runs runs;
// prints one JSON line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CategoryProfile, driftReport, NumericProfile } from '../../dist/stats/index.js';
import { median, round } from '../lib/http-timing.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, runs: { type: 'string', default: '15' }, warmup: { type: 'string', default: '3' } } });
const N = Number(args.rows);
const RUNS = Number(args.runs);
const WARMUP = Number(args.warmup);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-monitoring-'));

let seed = 42;
const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const CATS = ['a', 'b', 'c', 'd', 'e', 'f'];

function dataset(shift) {
  const cols = {};
  for (let f = 0; f < 20; f++) cols[`x${f}`] = Array.from({ length: N }, () => gauss() + (f < 5 ? shift : 0));
  for (let f = 0; f < 5; f++) cols[`c${f}`] = Array.from({ length: N }, () => CATS[Math.min(5, Math.floor(rand() * (f < 2 && shift ? 5 : 6)))]);
  return cols;
}

function writeCsv(file, cols) {
  const names = Object.keys(cols);
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, `${names.join(',')}\n`);
  let buf = '';
  for (let i = 0; i < N; i++) {
    buf += `${names.map((n) => cols[n][i]).join(',')}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(out, buf);
      buf = '';
    }
  }
  fs.writeSync(out, buf);
  fs.closeSync(out);
}

const reference = dataset(0);
const current = dataset(0.3);
writeCsv(path.join(tmp, 'ref.csv'), reference);
writeCsv(path.join(tmp, 'cur.csv'), current);

const sextant = [];
let report;
for (let r = 0; r < RUNS; r++) {
  const t = process.hrtime.bigint();
  report = driftReport(reference, current);
  sextant.push(Number(process.hrtime.bigint() - t) / 1e9);
}
const peer = [];
let peerResult;
for (let r = 0; r < RUNS; r++) {
  const p = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'peer_drift.py'), path.join(tmp, 'ref.csv'), path.join(tmp, 'cur.csv')], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(p.stderr);
  peerResult = JSON.parse(p.stdout);
  peer.push(peerResult.seconds);
}

// Profile ingest: 25 features (20 numeric, 5 categorical), one core, fresh profiles per run.
// Row at a time (each row visits all 25 profiles), and column at a time (each profile takes a
// window's column in one loop), which is how Sextant profiles references and logged windows.
const names = Object.keys(reference);
// Columns looked up once, so the row-wise figure times the profiles, not 25 keyed property loads per row.
const columns = names.map((n) => reference[n]);
const fresh = () => names.map((k) => (k.startsWith('x') ? new NumericProfile() : new CategoryProfile()));
const rowsPerSecond = (t) => N / (Number(process.hrtime.bigint() - t) / 1e9);
const byRow = [];
const byColumn = [];
for (let r = 0; r < WARMUP + RUNS; r++) {
  const timed = r >= WARMUP;
  let profiles = fresh();
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) for (let f = 0; f < names.length; f++) profiles[f].add(columns[f][i]);
  if (timed) byRow.push(rowsPerSecond(t));
  profiles = fresh();
  t = process.hrtime.bigint();
  for (let f = 0; f < names.length; f++) {
    const p = profiles[f];
    const column = columns[f];
    for (let i = 0; i < N; i++) p.add(column[i]);
  }
  if (timed) byColumn.push(rowsPerSecond(t));
}
fs.rmSync(tmp, { recursive: true, force: true });

const s = median(sextant);
const p = median(peer);
console.log(
  JSON.stringify({
    bench: 'monitoring',
    date: new Date().toISOString(),
    rows: N,
    columns: { numeric: 20, categorical: 5 },
    driftReport: {
      sextantSeconds: round(s, 3),
      scipySeconds: round(p, 3),
      ratioToPeer: round(s / p, 2),
      sextantDrifted: report.features.filter((f) => f.drifted).length,
      peerDrifted: peerResult.drifted,
      tests: [...new Set(report.features.map((f) => f.test))],
    },
    profileIngest: { warmupRuns: WARMUP, rowsPerSecond: round(median(byRow), 0), columnWiseRowsPerSecond: round(median(byColumn), 0), features: names.length },
  }),
);
