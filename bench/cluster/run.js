#!/usr/bin/env node
// bench/cluster: the cluster suite's topology (three `sextant server` nodes in network namespaces
// of their own on one PostgreSQL, s3rver and NATS, behind HAProxy; loopback ports when namespaces
// cannot be made) with the default lease TTL (10 s). Reports, in one run:
//   - 1-row req/s through HAProxy with 1, 2 and 3 nodes, against the peer: one node asked directly
//     (what HAProxy costs, and what more nodes buy on this machine's cores);
//   - alias move → every node serving it: p50/p99 over --moves moves, as each node records it
//     (its routing table rebuilt for the change) and as a client sees it (a probe answers the new
//     version);
//   - kill -9 of the node holding the most leases → each lease taken by a survivor, over --kills.
// Prints one JSON line. Needs wrk, haproxy, nats-server and PostgreSQL.
//
//   node bench/cluster/run.js [--duration 10] [--moves 50] [--kills 3] [--connections 32]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '../../dist/sdk/index.js';
import { startTopology } from '../../test/helpers/cluster-topology.js';
import { percentile, round } from '../lib/http-timing.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    moves: { type: 'string', default: '50' },
    kills: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
  },
});
for (const cmd of ['wrk', 'haproxy', 'nats-server']) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench/cluster needs ${cmd}; on Debian: apt-get install wrk haproxy nats-server iproute2`);
    process.exit(1);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const FIX = path.join(ROOT, 'test', 'fixtures', 'serving');
const row = fs.readFileSync(path.join(ROOT, 'assets', 'datasets', 'breast-cancer.csv'), 'utf8').split('\n')[1].split(',').slice(0, 30).map(Number);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-cluster-'));
const bodyFile = path.join(tmp, 'oip1.json');
fs.writeFileSync(bodyFile, JSON.stringify({ inputs: [{ name: 'x', shape: [1, 30], datatype: 'FP64', data: row }] }));

function wrk(url, token, seconds = args.duration) {
  const r = spawnSync(
    'wrk',
    ['-t2', `-c${args.connections}`, `-d${seconds}s`, '-H', `Authorization: Bearer ${token}`, '-s', path.join(ROOT, 'bench', 'serving', 'post.lua'), `${url}/v2/models/bc/infer`],
    { env: { ...process.env, BODY_FILE: bodyFile }, encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { rps: round(rps, 1), errors };
}

/** The routing change number a node's table reflects and when it was rebuilt (its /metrics). */
async function routing(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { seq: value('sextant_routing_change_seq'), at: value('sextant_routing_refreshed_timestamp_seconds') * 1000 };
}

async function servedVersion(url, token) {
  const res = await fetch(`${url}/v2/models/bc/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: fs.readFileSync(bodyFile) });
  await res.arrayBuffer();
  return res.headers.get('x-model-version');
}

/** Waits until HAProxy's health checks agree with which nodes run: one request per node answers. */
async function settle(t, up) {
  await sleep(1500);
  for (const n of up) for (let i = 0; (await servedVersion(n.url, t.token).catch(() => null)) === null; i++) if (i > 100) throw new Error(`node ${n.name} does not answer`);
}

const t = await startTopology();
const out = { bench: 'cluster', date: new Date().toISOString(), mode: t.mode, ...(t.why ? { why: t.why } : {}), cores: os.availableParallelism(), leaseTtlMs: 10_000 };
try {
  const a = createClient({ baseUrl: t.node('a').url, token: t.token });
  const signature = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'quickstart', 'signature.json'), 'utf8'));
  await a.models.create({ name: 'bc', task: 'binary-classification' });
  await a.versions.register('bc', { format: 'sextant-linear', alias: 'champion' }, { file: fs.createReadStream(path.join(FIX, 'breast-cancer-linear.json')) });
  await a.versions.register('bc', { format: 'onnx', signature }, { file: fs.createReadStream(path.join(FIX, 'breast-cancer-logreg.onnx')) });
  await a.deployments.create({ name: 'bc', model: 'bc', alias: 'champion' });
  await settle(t, t.nodes);

  // Throughput: one node asked directly (the peer), then HAProxy in front of 1, 2 and 3 nodes,
  // after a warm-up of every node (compiled code paths, loaded models, connections).
  const [na, nb, nc] = t.nodes;
  wrk(t.lbUrl, t.token, '3');
  const direct = wrk(na.url, t.token);
  await nb.stop();
  await nc.stop();
  await settle(t, [na]);
  const through = {};
  through[1] = wrk(t.lbUrl, t.token);
  await nb.start();
  await settle(t, [na, nb]);
  through[2] = wrk(t.lbUrl, t.token);
  await nc.start();
  await settle(t, t.nodes);
  through[3] = wrk(t.lbUrl, t.token);
  out.throughput = {
    oneNodeDirect: direct,
    throughHaproxy: through,
    haproxyOneNodeVsDirect: round(through[1].rps / direct.rps, 2),
    threeNodesVsOne: round(through[3].rps / through[1].rps, 2),
  };

  // Alias moves: until every node's table has the change, and until every node answers with it.
  const tables = [];
  const answers = [];
  for (let move = 0; move < Number(args.moves); move++) {
    const version = move % 2 === 0 ? 2 : 1;
    const before = await Promise.all(t.nodes.map((n) => routing(n.url)));
    await a.aliases.set('bc', 'champion', version, `bench move ${move}`);
    // The move is done for its caller here; from here on every node should serve it.
    const done = Date.now();
    const perNode = await Promise.all(
      t.nodes.map(async (n, i) => {
        let served = null;
        for (;;) {
          if (served === null && (await servedVersion(n.url, t.token)) === String(version)) served = Date.now() - done;
          const r = await routing(n.url);
          if (served !== null && r.seq > before[i].seq) return { served, table: Math.max(0, r.at - done) };
          await sleep(2);
        }
      }),
    );
    tables.push(Math.max(...perNode.map((p) => p.table)));
    answers.push(Math.max(...perNode.map((p) => p.served)));
    await sleep(50);
  }
  out.aliasMove = {
    moves: tables.length,
    allNodesTableMs: { p50: round(percentile(tables, 50), 1), p99: round(percentile(tables, 99), 1) },
    allNodesAnsweringMs: { p50: round(percentile(answers, 50), 1), p99: round(percentile(answers, 99), 1) },
  };

  // Lease moves after kill -9 of the node holding the most.
  const moves = [];
  for (let k = 0; k < Number(args.kills); k++) {
    const status = await createClient({ baseUrl: t.lbUrl, token: t.token }).cluster.status();
    const victim = status.nodes.filter((n) => n.alive).sort((x, y) => y.leases.length - x.leases.length)[0];
    const held = victim.leases;
    const node = t.node(victim.id);
    const survivor = t.nodes.find((n) => n !== node);
    const killedAt = Date.now();
    node.kill('SIGKILL');
    await node.process.exited;
    for (;;) {
      const s = await createClient({ baseUrl: survivor.url, token: t.token }).cluster.status();
      const taken = s.leases.filter((l) => held.includes(l.name) && l.live && l.node !== victim.id);
      if (taken.length === held.length) {
        const ms = taken.map((l) => Date.parse(l.acquiredAt) - killedAt);
        moves.push({ node: victim.id, leases: held.length, firstMs: Math.min(...ms), lastMs: Math.max(...ms) });
        break;
      }
      if (Date.now() - killedAt > 60_000) throw new Error(`leases of ${victim.id} did not move: ${JSON.stringify(s.leases)}`);
      await sleep(100);
    }
    await node.start();
    await settle(t, t.nodes);
    await sleep(3000);
  }
  out.leaseMoveAfterKill = { kills: moves, lastMsMedian: round(percentile(moves.map((m) => m.lastMs), 50), 0) };
  console.log(JSON.stringify(out));
} finally {
  await t.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
