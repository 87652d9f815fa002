#!/usr/bin/env node
// bench/serving/shed-cost: what the in-flight bound (429 with Retry-After) costs 1-row inference.
// Builds two commits of Sextant side by side (by default HEAD and its parent), starts both with
// 2 workers on the same sextant-linear model (30 features, logging on), and loads them with wrk
// (64 connections, 1-row MLflow bodies) in alternating rounds, so a slow phase of the machine
// lands on both alike. Prints one JSON line: each commit's median req/s and p99, and head ÷ base.
//
//   node bench/serving/shed-cost.js [--head REF] [--base REF] [--runs 5] [--duration 8]
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
    base: { type: 'string', default: 'HEAD^' },
    runs: { type: 'string', default: '5' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '64' },
  },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-shed-cost-'));
const git = (...a) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim();

/** A built checkout of `ref` in a worktree of its own, sharing this checkout's node_modules. */
function build(ref) {
  const commit = git('rev-parse', '--short', ref);
  const dir = path.join(tmp, commit);
  git('worktree', 'add', '--detach', dir, commit);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  return { commit, dir };
}

function start(dir, port) {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const child = spawn(process.execPath, [path.join(dir, 'bin', 'sextant.js'), 'server', '--port', String(port), '--workers', '2', '--home', home], {
    env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
    detached: true,
  });
  const cli = (...a) => spawnSync(process.execPath, [path.join(dir, 'bin', 'sextant.js'), ...a], { env: { ...process.env, SEXTANT_URL: `http://127.0.0.1:${port}` }, encoding: 'utf8' });
  return { child, cli, url: `http://127.0.0.1:${port}/v1/deployments/bc/invocations` };
}

function wrk(url, bodyFile) {
  const r = spawnSync('wrk', ['-t2', `-c${args.connections}`, `-d${args.duration}s`, '--latency', '-s', path.join(ROOT, 'bench', 'serving', 'post.lua'), url], {
    env: { ...process.env, BODY_FILE: bodyFile },
    encoding: 'utf8',
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { rps, p99Ms: p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN, non2xx };
}

if (spawnSync('sh', ['-c', 'command -v wrk']).status !== 0) {
  console.error('bench/serving/shed-cost needs wrk (apt-get install wrk)');
  process.exit(2);
}
const targets = [build(args.base), build(args.head)].map((b, i) => ({ ...b, ...start(b.dir, 18410 + i), runs: [] }));
try {
  const bodyFile = oneRowBody(tmp);
  for (const t of targets) await deployQuickstart(t, bodyFile, t.commit);
  for (const t of targets) wrk(t.url, bodyFile); // warm-up
  for (let round = 0; round < Number(args.runs); round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) t.runs.push(wrk(t.url, bodyFile));
  }
  const summary = (t) => ({ commit: t.commit, rps: round(median(t.runs.map((r) => r.rps))), p99Ms: round(median(t.runs.map((r) => r.p99Ms))), non2xx: t.runs.reduce((s, r) => s + r.non2xx, 0) });
  const [base, head] = targets.map(summary);
  const ratios = targets[1].runs.map((r, i) => r.rps / targets[0].runs[i].rps);
  console.log(JSON.stringify({ bench: 'serving-shed-cost', date: new Date().toISOString(), cpus: os.availableParallelism(), connections: Number(args.connections), runs: Number(args.runs), base, head, headOverBase: round(median(ratios), 3) }));
} finally {
  for (const t of targets) {
    try {
      process.kill(-t.child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await sleep(1000);
  for (const t of targets) spawnSync('git', ['worktree', 'remove', '--force', t.dir], { cwd: ROOT });
  fs.rmSync(tmp, { recursive: true, force: true });
}
