#!/usr/bin/env node
// bench/monitoring/drift-size.js: `sextant drift` on two CSV files of --rows rows × --columns columns
// per side (a tenth of them categorical, a fifth of the numeric ones shifted), file reading
// included, wall time and peak RSS of the process (GNU time), against the numpy + scipy + pandas
// peer running the same default tests in one run (peer_drift_files.py). Each size in --rows
// (comma-separated) is one line of JSON; the growth between sizes is the curve to extrapolate from.
//   node bench/monitoring/drift-size.js --rows 25000,50000,100000 --columns 100 [--row-bound N] [--no-peer]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '25000,50000,100000' }, columns: { type: 'string', default: '100' }, 'row-bound': { type: 'string' }, 'no-peer': { type: 'boolean', default: false } } });
const COLS = Number(args.columns);
const CATS = ['a', 'b', 'c', 'd', 'e', 'f'];
const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'sextant.js');

let seed = 42;
const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

function writeCsv(file, rows, shift) {
  const categorical = Math.round(COLS / 10);
  const numeric = COLS - categorical;
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, `${[...Array.from({ length: numeric }, (_, f) => `x${f}`), ...Array.from({ length: categorical }, (_, f) => `c${f}`)].join(',')}\n`);
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const cells = [];
    for (let f = 0; f < numeric; f++) cells.push((gauss() + (f < numeric / 5 ? shift : 0)).toFixed(4));
    for (let f = 0; f < categorical; f++) cells.push(CATS[Math.min(5, Math.floor(rand() * (f < 2 && shift ? 5 : 6)))]);
    buf += `${cells.join(',')}\n`;
    if (buf.length > 1 << 22) {
      fs.writeSync(out, buf);
      buf = '';
    }
  }
  fs.writeSync(out, buf);
  fs.closeSync(out);
}

/**
 * Runs a command under GNU time: wall seconds, CPU seconds (user + system: what the run costs when
 * other work shares the cores), peak RSS in MB, stdout.
 */
function timed(cmd, cmdArgs) {
  const p = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...cmdArgs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (p.status !== 0) throw new Error(`${cmd} failed: ${p.stderr}`);
  const [seconds, user, sys, kb] = p.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, cpuSeconds: Math.round((user + sys) * 100) / 100, peakRssMb: Math.round(kb / 1024), stdout: p.stdout };
}

const loadAverage = os.loadavg()[0];
for (const rows of args.rows.split(',').map(Number)) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-drift-size-'));
  const ref = path.join(tmp, 'ref.csv');
  const cur = path.join(tmp, 'cur.csv');
  writeCsv(ref, rows, 0);
  writeCsv(cur, rows, 0.3);
  const s = timed(process.execPath, [BIN, 'drift', '--reference', ref, '--current', cur, '--json', ...(args['row-bound'] ? ['--row-bound', args['row-bound']] : [])]);
  const report = JSON.parse(s.stdout);
  const line = {
    bench: 'monitoring-drift-size',
    date: new Date().toISOString(),
    rows,
    columns: COLS,
    fileMbPerSide: Math.round(fs.statSync(ref).size / 2 ** 20),
    loadAverage: Math.round(loadAverage * 10) / 10,
    sextant: { seconds: s.seconds, cpuSeconds: s.cpuSeconds, peakRssMb: s.peakRssMb, mode: report.mode, drifted: report.features.filter((f) => f.drifted).length, tests: [...new Set(report.features.map((f) => f.test))] },
  };
  if (!args['no-peer']) {
    const p = timed('/usr/bin/python3', [path.join(import.meta.dirname, 'peer_drift_files.py'), ref, cur]);
    const peer = JSON.parse(p.stdout);
    line.peer = { seconds: p.seconds, cpuSeconds: p.cpuSeconds, peakRssMb: p.peakRssMb, drifted: peer.drifted };
    line.cpuRatioToPeer = Math.round((s.cpuSeconds / p.cpuSeconds) * 100) / 100;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(JSON.stringify(line));
}
