#!/usr/bin/env node
// bench/experiment: the seed study's comparison on every stream. Runs `sextant experiment` for
// sea, hyperplane, agrawal and the bundled dataset with their defaults (20,000 rows, windows of
// 500, seed 7), prints one JSON line per stream and copies each accuracy chart to docs/experiment/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, seed: { type: 'string', default: '7' } } });
const root = path.resolve(import.meta.dirname, '..', '..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-experiment-'));
fs.mkdirSync(path.join(root, 'docs', 'experiment'), { recursive: true });
for (const stream of ['sea', 'hyperplane', 'agrawal', 'dataset']) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'sextant.js'), 'experiment', '--stream', stream, '--rows', args.rows, '--seed', args.seed, '--out', out, '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`experiment ${stream} failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  fs.copyFileSync(path.join(out, stream, 'accuracy.svg'), path.join(root, 'docs', 'experiment', `${stream}-accuracy.svg`));
  console.log(JSON.stringify({ bench: 'experiment', date: new Date().toISOString(), stream, rows: doc.rows, seed: doc.seed, seconds: (Date.now() - started) / 1000, setups: doc.setups }));
}
fs.rmSync(out, { recursive: true, force: true });
