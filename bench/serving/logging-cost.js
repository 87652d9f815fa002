#!/usr/bin/env node
// bench/serving/logging-cost: CPU instructions per 1-row request that logging every prediction
// adds, counted by valgrind (callgrind), which counts the same for the same work whatever else
// the machine is doing. This machine's speed moves by up to 2× within minutes, and logging costs
// a few percent of a request: timed runs, even interleaved, scatter more than that (the serving
// benchmark's on ÷ off ratio moved between 0.75 and 0.94 across runs of the same code).
//
// A one-process server (no cluster: the serving path and the log's inserts in one process, as
// `--workers 1` runs them) serves one deployment that logs every request or none; after a warm-up
// the same number of requests is sent with instrumentation on, and the log's backlog is written
// before it is switched off. Instructions in the kernel (system calls) are not counted. Pairs of
// runs alternate on and off. Prints one JSON line.
//
// Under valgrind the server answers a few hundred requests a second, so with the usual flush
// interval its segments would hold tens of records where a loaded server's hold thousands. The
// server therefore writes every --flush-ms (default 60 s): segments fill to their 4,000-record
// bound as under load, and with --requests a multiple of 4,000 the measured requests fill whole
// segments, all written inside the measured window.
//
// Valgrind hides the CPU's SHA extensions, so the segments' sha256 runs OpenSSL's AVX2 code under
// it, about ten times the instructions it takes here natively: hashing is counted apart.
//
//   node bench/serving/logging-cost.js [--pairs 2] [--requests 12000] [--flush-ms 60000]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median, round } from '../lib/http-timing.js';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '..', '..');
const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '2' },
    requests: { type: 'string', default: '12000' },
    'flush-ms': { type: 'string', default: '60000' },
    port: { type: 'string', default: '18398' },
  },
});
for (const [cmd, pkg] of [
  ['valgrind', 'valgrind'],
  ['callgrind_control', 'valgrind'],
  ['h2load', 'nghttp2-client'],
]) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench/serving/logging-cost needs ${cmd}; on Debian: apt-get install ${pkg}`);
    process.exit(2);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-logcost-'));
const base = `http://127.0.0.1:${args.port}`;

// A 20-feature logistic regression with fixed coefficients: what is measured is the log, not the model.
const features = Array.from({ length: 20 }, (_, i) => `x${i}`);
const modelJson = path.join(tmp, 'model.json');
fs.writeFileSync(
  modelJson,
  JSON.stringify({ format: 'sextant-linear', formatVersion: 1, features, link: 'logistic', classes: [0, 1], coefficients: [features.map((_, i) => ((i % 7) - 3) / 10)], intercept: [0.1] }),
);
const bodyFile = path.join(tmp, 'body.json');
fs.writeFileSync(bodyFile, JSON.stringify({ instances: [features.map((_, i) => Math.round(Math.sin(i + 1) * 1e6) / 1e6)] }));

const cli = (...a) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'sextant.js'), ...a], { env: { ...process.env, SEXTANT_URL: base }, encoding: 'utf8' });
const load = (n) => {
  const r = spawnSync('h2load', ['--h1', '-c8', '-t1', `-n${n}`, '-H', 'content-type: application/json', '-d', bodyFile, `${base}/v1/deployments/lr/invocations`], { encoding: 'utf8' });
  const ok = Number(/(\d+) succeeded/.exec(r.stdout)?.[1] ?? 0);
  if (ok !== n) throw new Error(`${n - ok} of ${n} requests failed:\n${r.stdout}`);
};

/** Instructions per request of one run: a fresh server whose deployment logs at `sampleRate`. */
async function measure(sampleRate) {
  if (cli('models', 'list').status === 0) throw new Error(`something already answers at ${base}; pick another --port`);
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const out = path.join(home, 'callgrind.out');
  const server = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, process.execPath, path.join(ROOT, 'bin', 'sextant.js'), 'server', '--port', args.port, '--workers', '1', '--home', home],
    { env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn', SEXTANT_LOG_FLUSH_MS: args['flush-ms'] }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  server.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  try {
    for (let i = 0; i < 600 && cli('models', 'list').status !== 0; i++) await sleep(500);
    for (const step of [
      ['models', 'create', 'lr', '--task', 'binary-classification'],
      ['register', 'lr', '--file', modelJson, '--format', 'sextant-linear', '--alias', 'champion'],
      ['deploy', 'create', 'lr', '--model', 'lr', '--alias', 'champion', '--log-sample-rate', String(sampleRate)],
    ]) {
      const r = cli(...step);
      if (r.status !== 0) throw new Error(`${step.join(' ')}: ${r.stderr}\n${stderr}`);
    }
    // Twice as many requests as measured first, so the code has reached its optimised form.
    load(2 * Number(args.requests));
    await sleep(2000);
    spawnSync('callgrind_control', ['-i', 'on', String(server.pid)]);
    load(Number(args.requests));
    // The log writes what the measured requests filled before counting stops.
    await sleep(2000);
    spawnSync('callgrind_control', ['-i', 'off', String(server.pid)]);
    spawnSync('callgrind_control', ['-d', String(server.pid)]);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  const dumps = fs.readdirSync(home).filter((f) => f.startsWith('callgrind.out'));
  let total = 0;
  let sha256 = 0;
  for (const f of dumps) {
    const file = path.join(home, f);
    total += Number(/^totals: (\d+)/m.exec(fs.readFileSync(file, 'utf8'))?.[1] ?? 0);
    const annotated = spawnSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    for (const m of annotated.matchAll(/^\s*([\d,]+) \([^)]*\)\s+\S*sha256_block_data_order/gm)) sha256 += Number(m[1].replaceAll(',', ''));
  }
  return { all: total / Number(args.requests), sha256: sha256 / Number(args.requests) };
}

const runs = { on: [], off: [] };
try {
  for (let p = 0; p < Number(args.pairs); p++) {
    for (const [key, rate] of p % 2 === 0 ? [['on', 1], ['off', 0]] : [['off', 0], ['on', 1]]) {
      const m = await measure(rate);
      runs[key].push(m);
      console.error(`pair ${p + 1}: logging ${key}: ${Math.round(m.all)} instructions per request, ${Math.round(m.sha256)} of them sha256`);
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
const med = (key, field) => median(runs[key].map((m) => m[field]));
const logging = med('on', 'all') - med('off', 'all');
const sha256 = med('on', 'sha256') - med('off', 'sha256');
console.log(
  JSON.stringify({
    bench: 'logging-cost',
    date: new Date().toISOString(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim(),
    requests: Number(args.requests),
    flushMs: Number(args['flush-ms']),
    instructionsPerRequest: { on: runs.on.map((m) => Math.round(m.all)), off: runs.off.map((m) => Math.round(m.all)) },
    loggingInstructions: Math.round(logging),
    loggingSha256Instructions: Math.round(sha256),
    loggingShare: round(logging / med('off', 'all'), 4),
    loggingShareWithoutSha256: round((logging - sha256) / med('off', 'all'), 4),
  }),
);
