#!/usr/bin/env node
// bench/serving/tracing-cost: what OpenTelemetry tracing costs 1-row inference. Builds one commit
// (default HEAD) and starts it twice with 2 workers on the same sextant-linear model (30 features,
// logging on): once without OTEL_EXPORTER_OTLP_ENDPOINT (tracing off: no SDK loaded) and once
// exporting every request's spans (OTEL_TRACES_SAMPLER=always_on) to an OTLP/HTTP sink in a
// process of its own that counts them. With --base REF a third server, built from REF (a commit
// without tracing), shows what tracing off costs against no tracing code at all. wrk (64
// connections, 1-row MLflow bodies) loads them in rotating rounds, so a slow phase of the machine
// lands on all alike. Prints one JSON line: each server's median req/s, p99 and CPU time per
// request (its processes' user + system time over a round, which a busy machine moves far less
// than throughput), the spans the sink received per request, and the medians of the rounds' ratios.
//
//   node bench/serving/tracing-cost.js [--head REF] [--base REF] [--runs 5] [--duration 8]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median, round } from '../lib/http-timing.js';
import { deployQuickstart, oneRowBody } from '../lib/quickstart-deployment.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const { values: args } = parseArgs({
  options: {
    head: { type: 'string', default: 'HEAD' },
    base: { type: 'string' },
    runs: { type: 'string', default: '5' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '64' },
  },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-tracing-cost-'));
const git = (...a) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim();

/** A built checkout of `ref` in a worktree of its own, sharing this checkout's node_modules. */
function build(ref) {
  const commit = git('rev-parse', '--short', ref);
  const dir = path.join(tmp, commit);
  if (!fs.existsSync(dir)) {
    git('worktree', 'add', '--detach', dir, commit);
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  }
  return { commit, dir };
}

// The OTLP/HTTP sink: its own process, so the bench's blocking wrk calls never stall exports.
const SINK = `
const http = require('node:http');
let spans = 0, posts = 0;
http.createServer((req, res) => {
  if (req.method === 'GET') return res.end(JSON.stringify({ spans, posts }));
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    posts++;
    spans += (body.match(/"spanId":/g) || []).length;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
}).listen(Number(process.argv[1]), '127.0.0.1');
`;

function start(dir, port, env) {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const child = spawn(process.execPath, [path.join(dir, 'bin', 'sextant.js'), 'server', '--port', String(port), '--workers', '2', '--home', home], {
    env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
    detached: true,
  });
  const cli = (...a) => spawnSync(process.execPath, [path.join(dir, 'bin', 'sextant.js'), ...a], { env: { ...process.env, SEXTANT_URL: `http://127.0.0.1:${port}` }, encoding: 'utf8' });
  return { child, cli, url: `http://127.0.0.1:${port}/v1/deployments/bc/invocations` };
}

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time (user + system, µs) of every live process in the process group `pgid` (a server and its workers). */
function cpuUs(pgid) {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces): state is the 3rd, pgrp the 5th, utime the 14th, stime the 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * TICK_US;
}

/** One wrk round against a target, with the server's CPU time per request over it. */
function measure(t, bodyFile) {
  const before = cpuUs(t.child.pid);
  const r = wrk(t.url, bodyFile);
  return { ...r, cpuUsPerRequest: (cpuUs(t.child.pid) - before) / r.requests };
}

function wrk(url, bodyFile) {
  const r = spawnSync('wrk', ['-t2', `-c${args.connections}`, `-d${args.duration}s`, '--latency', '-s', path.join(ROOT, 'bench', 'serving', 'post.lua'), url], {
    env: { ...process.env, BODY_FILE: bodyFile },
    encoding: 'utf8',
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { rps, requests, p99Ms: p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN, non2xx };
}

if (spawnSync('sh', ['-c', 'command -v wrk']).status !== 0) {
  console.error('bench/serving/tracing-cost needs wrk (apt-get install wrk)');
  process.exit(2);
}
const sinkPort = 18439;
const sink = spawn(process.execPath, ['-e', SINK, String(sinkPort)], { stdio: 'ignore', detached: true });
const head = build(args.head);
const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`, OTEL_TRACES_SAMPLER: 'always_on' };
const targets = [
  { name: 'off', ...head, ...start(head.dir, 18430, {}), runs: [] },
  { name: 'on', ...head, ...start(head.dir, 18431, otel), runs: [] },
];
if (args.base) {
  const base = build(args.base);
  targets.push({ name: 'base', ...base, ...start(base.dir, 18432, {}), runs: [] });
}
try {
  const bodyFile = oneRowBody(tmp);
  for (const t of targets) await deployQuickstart(t, bodyFile, t.name);
  for (const t of targets) wrk(t.url, bodyFile); // warm-up
  await sleep(6000); // the warm-up's spans leave before the timed rounds
  const sinkCount = async () => (await (await fetch(`http://127.0.0.1:${sinkPort}/`)).json()).spans;
  const spansBefore = await sinkCount();
  for (let round = 0; round < Number(args.runs); round++) {
    // Rotate the order, so each server goes first, middle and last alike.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) t.runs.push(measure(t, bodyFile));
  }
  await sleep(6000); // the batch processor sends within 5 s
  const on = targets.find((t) => t.name === 'on');
  const spansPerRequest = (await sinkCount() - spansBefore) / on.runs.reduce((s, r) => s + r.requests, 0);
  const summary = (t) => ({
    commit: t.commit,
    rps: round(median(t.runs.map((r) => r.rps))),
    p99Ms: round(median(t.runs.map((r) => r.p99Ms))),
    cpuUsPerRequest: round(median(t.runs.map((r) => r.cpuUsPerRequest)), 1),
    non2xx: t.runs.reduce((s, r) => s + r.non2xx, 0),
  });
  // Medians of the rounds' own ratios: a round's servers ran minutes apart at most.
  const ratio = (a, b, key = 'rps') => round(median(a.runs.map((r, i) => r[key] / b.runs[i][key])), 3);
  const [off, , base] = targets;
  console.log(
    JSON.stringify({
      bench: 'serving-tracing-cost',
      date: new Date().toISOString(),
      cpus: os.availableParallelism(),
      connections: Number(args.connections),
      runs: Number(args.runs),
      off: summary(off),
      on: { ...summary(on), spansPerRequest: round(spansPerRequest, 2) },
      ...(base ? { base: summary(base), offOverBase: ratio(off, base), offOverBaseCpu: ratio(off, base, 'cpuUsPerRequest') } : {}),
      onOverOff: ratio(on, off),
      onOverOffCpu: ratio(on, off, 'cpuUsPerRequest'),
    }),
  );
} finally {
  for (const c of [...targets.map((t) => t.child), sink]) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await sleep(1000);
  for (const dir of new Set(targets.map((t) => t.dir))) spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT });
  fs.rmSync(tmp, { recursive: true, force: true });
}
