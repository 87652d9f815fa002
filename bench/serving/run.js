#!/usr/bin/env node
// bench/serving: requests/s and latency of Sextant serving a 20-feature logistic regression,
// against the peer a team would run today (Flask + scikit-learn under gunicorn, 2 workers, in two
// styles: parsing the body into a pandas DataFrame as MLflow's scoring server does, and the
// leanest hand-written numpy server) and the physical limit (a bare node:http cluster doing the
// arithmetic by hand), loaded with wrk on loopback with 1-row and 64-row bodies. Latency at a
// fixed rate (80 % of the server's own peak; Sextant and the limit) comes from h2load, which like
// wrk is written in C: a load generator in Node took half a core at that rate and starved the
// server it measured.
// All servers start at once and wait idle; the load visits them in rounds (one wrk run each per
// round), so a slow or fast phase of this noisy machine lands on every target alike instead of
// on whichever ran then: the speed of the machine moved by 2× within minutes in the runs of c29c30b, and
// measuring one target after the other made the ratios move with it. Every other round visits the
// targets in reverse order, so no target always follows the same one (logging on always ran just
// before logging off until 67b7816). Each number is the median of --runs rounds; logging on ÷
// off is the median of the rounds' own ratios, each of two runs made one right after the other.
// Prints one JSON line.
//
//   node bench/serving/run.js [--duration 8] [--runs 5] [--connections 64]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median, round } from '../lib/http-timing.js';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '..', '..');
const PY = '/usr/bin/python3';
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    runs: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
  },
});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-serving-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function need(cmd, why) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench/serving needs ${cmd} (${why}); on Debian: apt-get install wrk nghttp2-client gunicorn python3-flask python3-sklearn python3-pandas`);
    process.exit(2);
  }
}
need('wrk', 'the load generator');
need('h2load', 'the fixed-rate load generator');
need('gunicorn', 'the Flask peer');
const exported = spawnSync(PY, [path.join(HERE, 'peer_flask.py'), 'export', tmp], { encoding: 'utf8' });
if (exported.status !== 0) {
  console.error(`exporting the peer model failed:\n${exported.stderr}`);
  process.exit(2);
}
const rows = JSON.parse(fs.readFileSync(path.join(tmp, 'rows.json'), 'utf8'));

const bodies = {
  invocations1: { instances: rows.slice(0, 1) },
  invocations64: { instances: rows },
  oip1: { inputs: [{ name: 'x', shape: [1, 20], datatype: 'FP64', data: rows[0] }] },
  oip64: { inputs: [{ name: 'x', shape: [64, 20], datatype: 'FP64', data: rows.flat() }] },
};
for (const [name, body] of Object.entries(bodies)) fs.writeFileSync(path.join(tmp, `${name}.json`), JSON.stringify(body));

async function waitFor(url, body) {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} never answered 200`);
}

function toMs(v) {
  const m = /([\d.]+)(us|ms|s)/.exec(v);
  return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
}

function wrk(url, bodyName, connections, threads = 2) {
  const r = spawnSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${args.duration}s`, '--latency', '-s', path.join(HERE, 'post.lua'), url], {
    env: { ...process.env, BODY_FILE: path.join(tmp, `${bodyName}.json`) },
    encoding: 'utf8',
  });
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors:.*timeout (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50, p99, errors };
}

/** Starts a target; the function it returns stops it, and says what it printed last when the run failed. */
function start(cmd, argv, env = {}) {
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let tail = '';
  const keep = (d) => (tail = (tail + d).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return (failed) => {
    if (failed && tail) console.error(`${cmd} printed:\n${tail}`);
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
}

function rssOf(pattern) {
  const ps = spawnSync('sh', ['-c', `ps -eo rss,args | grep -F -- '${pattern}' | grep -v grep | awk '{s+=$1} END {print s}'`], { encoding: 'utf8' });
  return round(Number(ps.stdout.trim()) / 1024, 1);
}

/**
 * Load at a fixed rate (wrk cannot hold one), 32 connections: the latency a service shows below
 * saturation. Percentiles come from h2load's per-request log.
 */
function atRate(url, bodyName, rate) {
  const log = path.join(tmp, 'h2load.log');
  fs.rmSync(log, { force: true });
  const connections = 32;
  const r = spawnSync(
    'h2load',
    ['--h1', `-c${connections}`, '-t1', `-D${args.duration}`, `--rps=${(rate / connections).toFixed(2)}`, '-H', 'content-type: application/json', '-d', path.join(tmp, `${bodyName}.json`), `--log-file=${log}`, url],
    { encoding: 'utf8' },
  );
  // Each line: start time (µs), status, duration (µs).
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split('\t').map(Number)) : [];
  const durations = lines.map((l) => l[2] / 1000).sort((a, b) => a - b);
  const at = (q) => round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? NaN, 2);
  const failed = /requests: .*?(\d+) failed, (\d+) errored, (\d+) timeout/.exec(r.stdout);
  const errors = lines.filter((l) => l[1] < 200 || l[1] >= 300).length + (failed ? Number(failed[1]) + Number(failed[2]) + Number(failed[3]) : 0);
  return { targetRps: Math.round(rate), achievedRps: round(Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(r.stdout)?.[1]), 0), p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

function summary(runs, light) {
  return {
    rps: round(median(runs.map((r) => r.rps)), 0),
    rounds: runs.map((r) => round(r.rps, 0)),
    p50Ms: round(median(runs.map((r) => r.p50)), 2),
    p99Ms: round(median(runs.map((r) => r.p99)), 2),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    lightLoad: { connections: 4, rps: round(light.rps, 0), p99Ms: round(light.p99, 2) },
  };
}

/**
 * Peak req/s of several servers with the same body, in rounds (a, b, c, a, b, c, …) after one
 * warm-up run each; a pause after each run lets a server finish background work (the prediction
 * log's backlog) before the next one is loaded. Then one light-load run each.
 */
async function measureRounds(targets, b) {
  for (const t of targets) {
    await waitFor(t.url(b), bodies[b]);
    wrk(t.url(b), b, Number(args.connections));
    await sleep(1000);
  }
  const runs = targets.map(() => []);
  for (let r = 0; r < Number(args.runs); r++) {
    const order = [...targets.entries()];
    for (const [i, t] of r % 2 === 0 ? order : order.reverse()) {
      runs[i].push(wrk(t.url(b), b, Number(args.connections)));
      await sleep(1000);
    }
  }
  const out = {};
  for (const [i, t] of targets.entries()) {
    out[t.key] = summary(runs[i], wrk(t.url(b), b, 4, 1));
    console.error(`${t.key} ${b}: ${out[t.key].rps} req/s (${runs[i].map((x) => Math.round(x.rps)).join(', ')}), p99 ${out[t.key].p99Ms} ms`);
  }
  return out;
}

const results = { flask: { style: 'mlflow' }, flaskNumpy: { style: 'numpy' }, bareNode: {}, sextant: {}, sextantNoLogging: {} };
const modelJson = path.join(tmp, 'model.json');
const stops = [];
const home = path.join(tmp, 'home');
try {
  // Peers: Flask + sklearn under gunicorn, 2 workers each, in both styles; the physical limit, a
  // bare node:http cluster of 2; Sextant, 2 workers, the same model as sextant-linear, deployed
  // with prediction logging on every request (lr) and off (lr-nolog).
  for (const [port, style] of [
    [18301, 'mlflow'],
    [18304, 'numpy'],
  ]) {
    stops.push(start('gunicorn', ['-w', '2', '-b', `127.0.0.1:${port}`, '--chdir', HERE, '--log-level', 'warning', 'peer_flask:app'], { SEXTANT_PEER_MODEL: path.join(tmp, 'model.pkl'), SEXTANT_PEER_STYLE: style }));
  }
  stops.push(start(process.execPath, [path.join(HERE, 'bare-node.js'), modelJson, '18302', '2']));
  const cli = (...a) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'sextant.js'), ...a], { env: { ...process.env, SEXTANT_URL: 'http://127.0.0.1:18303' }, encoding: 'utf8' });
  stops.push(start(process.execPath, [path.join(ROOT, 'bin', 'sextant.js'), 'server', '--port', '18303', '--workers', '2', '--home', home], { SEXTANT_LOG_LEVEL: 'warn' }));
  for (let i = 0; i < 100 && cli('models', 'list').status !== 0; i++) await sleep(100);
  results.sextant.rssBeforeModelMiB = rssOf(`--home ${home}`);
  for (const step of [
    ['models', 'create', 'lr', '--task', 'binary-classification'],
    ['register', 'lr', '--file', modelJson, '--format', 'sextant-linear', '--alias', 'champion'],
    ['deploy', 'create', 'lr', '--model', 'lr', '--alias', 'champion'],
    ['deploy', 'create', 'lr-nolog', '--model', 'lr', '--alias', 'champion', '--log-sample-rate', '0'],
  ]) {
    const r = cli(...step);
    if (r.status !== 0) throw new Error(`${step.join(' ')}: ${r.stderr}`);
  }
  // One worker's log counters (metrics are per process); the share is what matters.
  const logCounters = async () => {
    // A connection of its own: the pooled one from before the load phases, idle while wrk and
    // h2load ran synchronously for minutes, failed under this request ("other side closed").
    const metrics = await new Promise((resolve, reject) => {
      http
        .get('http://127.0.0.1:18303/metrics', { agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    const counter = (name) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    const written = counter('sextant_prediction_log_written_total');
    const dropped = counter('sextant_prediction_log_dropped_total');
    return { written, dropped, droppedShare: round(dropped / Math.max(1, written + dropped), 3) };
  };
  const invocations = (name) => () => `http://127.0.0.1:18303/v1/deployments/${name}/invocations`;
  const flask = { key: 'flask', url: () => 'http://127.0.0.1:18301/invocations' };
  const flaskNumpy = { key: 'flaskNumpy', url: () => 'http://127.0.0.1:18304/invocations' };
  const bareNode = { key: 'bareNode', url: () => 'http://127.0.0.1:18302/' };
  const sextant = { key: 'sextant', url: invocations('lr') };
  const sextantNoLogging = { key: 'sextantNoLogging', url: invocations('lr-nolog') };
  const merge = (measured, body) => Object.entries(measured).forEach(([k, v]) => (results[k][body] = v));
  merge(await measureRounds([flask, flaskNumpy, bareNode, sextant, sextantNoLogging], 'invocations1'), 'invocations1');
  results.sextant.predictionLogAfter1Row = await logCounters();
  merge(await measureRounds([flask, flaskNumpy, bareNode, sextant], 'invocations64'), 'invocations64');
  // Latency at 80 % of each server's own 1-row peak. gunicorn's sync workers close every
  // connection, and h2load then holds no rate: the peers have peak figures only.
  for (const t of [bareNode, sextant, sextantNoLogging]) {
    results[t.key].invocations1.at80PercentOfPeak = atRate(t.url('invocations1'), 'invocations1', 0.8 * results[t.key].invocations1.rps);
    await sleep(1000);
  }
  // Open Inference Protocol v2, logging on (no peer speaks it).
  const oip = { key: 'sextant', url: () => 'http://127.0.0.1:18303/v2/models/lr/infer' };
  for (const b of ['oip1', 'oip64']) {
    await sleep(3000);
    merge(await measureRounds([oip], b), b);
  }
  results.sextant.oip1.at80PercentOfPeak = atRate(oip.url(), 'oip1', 0.8 * results.sextant.oip1.rps);
  results.sextant.predictionLog = await logCounters();
  results.flask.rssMiB = rssOf('127.0.0.1:18301');
  results.flaskNumpy.rssMiB = rssOf('127.0.0.1:18304');
  results.sextant.rssMiB = rssOf(`--home ${home}`);
} catch (err) {
  stops.forEach((stop) => stop(true));
  throw err;
} finally {
  stops.forEach((stop) => stop());
}
fs.rmSync(tmp, { recursive: true, force: true });

const s = results.sextant;
const ratios = {
  rps1RowVsFlask: round(s.invocations1.rps / results.flask.invocations1.rps, 1),
  rps1RowVsFlaskNumpy: round(s.invocations1.rps / results.flaskNumpy.invocations1.rps, 1),
  rps1RowVsBareNode: round(s.invocations1.rps / results.bareNode.invocations1.rps, 2),
  oip1RowVsBareNode: round(s.oip1.rps / results.bareNode.invocations1.rps, 2),
  rows64PerSecVsFlask: round(s.invocations64.rps / results.flask.invocations64.rps, 1),
  rows64PerSecVsFlaskNumpy: round(s.invocations64.rps / results.flaskNumpy.invocations64.rps, 1),
  rows64PerSecVsBareNode: round(s.invocations64.rps / results.bareNode.invocations64.rps, 2),
  loggingOnVsOff: round(median(s.invocations1.rounds.map((on, r) => on / results.sextantNoLogging.invocations1.rounds[r])), 2),
};
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
console.log(JSON.stringify({ bench: 'serving', date: new Date().toISOString(), commit, duration: Number(args.duration), runs: Number(args.runs), connections: Number(args.connections), results, ratios }));
