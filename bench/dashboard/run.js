#!/usr/bin/env node
// bench/dashboard: the overview's largest contentful paint on a registry of 1,000 models × 100
// versions with 20 deployments (each with a monitor window and an hour of traffic history), and the
// model page of a model with 10,000 versions, in Debian's Chromium. The peer is a static HTML page
// holding the same deployments and models table, served by bare node:http: the floor for painting
// that content in this browser on this machine. Prints one JSON line.
//
//   node bench/dashboard/run.js [--models 1000] [--versions 100] [--deployments 20] [--runs 7]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { openBlobStore } from '../../dist/artifacts/index.js';
import { migrate, openDatabase } from '../../dist/storage/index.js';
import { median, percentile, request, round, time } from '../lib/http-timing.js';
import { seed } from '../lib/seed-registry.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '1000' },
    versions: { type: 'string', default: '100' },
    deployments: { type: 'string', default: '20' },
    'big-model-versions': { type: 'string', default: '10000' },
    runs: { type: 'string', default: '7' },
    chromium: { type: 'string', default: process.env.SEXTANT_TEST_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const MODELS = Number(args.models);
const VERSIONS = Number(args.versions);
const DEPLOYMENTS = Number(args.deployments);
const BIG = Number(args['big-model-versions']);
const RUNS = Number(args.runs);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACT = fs.readFileSync(path.join(ROOT, 'assets', 'quickstart', 'breast-cancer-linear.json'));
const name = (m) => `model-${String(m).padStart(5, '0')}`;

/** The registry, then per deployment: the deployment, a monitor, one window's result and an hour of traffic. */
async function seedStore(home) {
  const database = openDatabase({ kind: 'sqlite', path: path.join(home, 'sextant.db') });
  await migrate(database.db, database.dialect);
  const blobs = openBlobStore({ kind: 'fs', root: path.join(home, 'artifacts') });
  const t = Date.now();
  await seed(database, blobs, MODELS, VERSIONS, { artifact: ARTIFACT, signature: null });
  await seed(database, blobs, 1, BIG, { artifact: ARTIFACT, signature: null, first: MODELS });
  const db = database.db;
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  const spec = (model) => JSON.stringify({ model, alias: 'champion', canary: null, shadow: [], batching: null, slo: null, stickyHeader: null, logging: { sampleRate: 1, redact: [] } });
  const features = ['mean_radius', 'mean_texture', 'worst_area'];
  for (let d = 0; d < DEPLOYMENTS; d++) {
    const model = await db.selectFrom('models').select('id').where('name', '=', name(d)).executeTakeFirstOrThrow();
    await db.insertInto('deployments').values({ name: `dep-${d}`, model_id: model.id, spec: spec(name(d)), last_event: null, created_at: iso(now), updated_at: iso(now) }).execute();
    const drift = { drifted: d % 5 === 0, driftedShare: d % 5 === 0 ? 0.6 : 0.1, features: features.map((f, i) => ({ feature: f, kind: 'num', test: 'ks', statistic: 0.1 * i, pValue: d % 5 === 0 ? 0.001 : 0.4, threshold: 0.05, drifted: d % 5 === 0 })) };
    await db.insertInto('monitors').values({ deployment: `dep-${d}`, window_seconds: 3600, thresholds: JSON.stringify({ driftShare: 0.5 }), created_at: iso(now) }).execute();
    await db.insertInto('monitor_results').values({ deployment: `dep-${d}`, window_start: iso(now - 3_600_000), window_end: iso(now), drift: JSON.stringify(drift), quality: JSON.stringify({ accuracy: 0.9 + d / 1000 }), alert: '[]' }).execute();
    const rows = [];
    for (let s = Math.floor(now / 10_000) * 10 - 3600; s < now / 1000; s += 10) {
      rows.push({ deployment: `dep-${d}`, version: VERSIONS - 1, worker: 'bench', second: s, count: 50 + d, errors: d % 7 === 0 ? 1 : 0, invalid: 0, shed: 0, histogram: JSON.stringify({ 60: 25, 80: 25 + d }) });
    }
    for (let i = 0; i < rows.length; i += 200) await db.insertInto('traffic_samples').values(rows.slice(i, i + 200)).execute();
  }
  await database.close();
  return round((Date.now() - t) / 1000, 1);
}

function startServer(home) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'sextant.js'), 'server', '--port', '0', '--home', home], {
      env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn' },
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

/** The same content as the overview, as one static page with no script: the peer. */
async function staticPeer(url) {
  const overview = JSON.parse((await request(`${url}/api/v1/dashboard/overview`)).body);
  const models = JSON.parse((await request(`${url}/api/v1/models?pageSize=50`)).body).models;
  const cell = (s) => `<td>${String(s).replace(/[<&]/g, '')}</td>`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Overview</title>
<style>body{font:14px system-ui;margin:1.25rem}table{border-collapse:collapse;width:100%}td,th{padding:.45rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style></head>
<body><h1>Overview</h1><p>Every deployment's health.</p><h2>Deployments</h2><table><tr><th>Status</th><th>Deployment</th><th>Model</th><th>req/s</th><th>p50</th><th>p99</th></tr>
${overview.deployments.map((d) => `<tr>${cell(d.status)}${cell(d.name)}${cell(d.model)}${cell(d.traffic.requestsPerSecond.toFixed(2))}${cell(d.traffic.p50Ms)}${cell(d.traffic.p99Ms)}</tr>`).join('')}</table>
<h2>Models</h2><table><tr><th>Model</th><th>Task</th><th>Champion</th><th>Versions</th></tr>${models.map((m) => `<tr>${cell(m.name)}${cell(m.task)}${cell(m.aliases.champion)}${cell(m.latestVersion)}</tr>`).join('')}</table></body></html>`;
  const body = Buffer.from(html);
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length }).end(body));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

/** The newest largest-contentful-paint entry once the page is complete (as Lighthouse reads it at the end). */
const LCP = `new Promise((resolve) => new PerformanceObserver((list) => { const e = list.getEntries(); resolve(e[e.length - 1].startTime); }).observe({ type: 'largest-contentful-paint', buffered: true }))`;

async function paint(browser, url, ready) {
  // A new context per run: a cold HTTP cache, as on a first visit.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(url);
  await ready(page);
  const readyMs = await page.evaluate('performance.now()');
  await page.waitForTimeout(300);
  const lcpMs = await page.evaluate(LCP);
  // Where the time went: when the page, its script and its first API answers had arrived.
  const marks = await page.evaluate(`(() => {
    const at = (re) => performance.getEntriesByType('resource').find((e) => re.test(e.name))?.responseEnd ?? null;
    return { html: performance.getEntriesByType('navigation')[0].responseEnd, script: at(/\\/assets\\/.*\\.js$/), whoami: at(/whoami/), overview: at(/dashboard\\/overview/) };
  })()`);
  await context.close();
  return { lcpMs, readyMs, marks };
}

async function runs(browser, url, ready) {
  const out = [];
  await paint(browser, url, ready); // the server's and the browser's first time
  for (let i = 0; i < RUNS; i++) out.push(await paint(browser, url, ready));
  const lcp = out.map((r) => r.lcpMs);
  const readyMs = out.map((r) => r.readyMs);
  const arrived = Object.fromEntries(
    Object.keys(out[0].marks)
      .filter((k) => out[0].marks[k] !== null)
      .map((k) => [k, round(median(out.map((r) => r.marks[k])), 1)]),
  );
  return { lcpMedianMs: round(median(lcp), 1), lcpMaxMs: round(percentile(lcp, 100), 1), readyMedianMs: round(median(readyMs), 1), arrivedMedianMs: arrived };
}

/** The model page of the big model: first rows, rows in the DOM, and scrolling 1,000 rows (five pages). */
async function bigModel(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const t = Date.now();
  await page.goto(`${url}/models/${name(MODELS)}`);
  const table = page.getByRole('table', { name: `Versions of ${name(MODELS)}` });
  await table.getByRole('button', { name: `v${BIG}`, exact: true }).waitFor();
  const firstRowsMs = Date.now() - t;
  const rowsInDom = await table.getByRole('row').count();
  const s = Date.now();
  const target = BIG - 999;
  while (!(await table.getByRole('button', { name: `v${target}`, exact: true }).count())) {
    await table.locator('.vbody').evaluate((el) => el.scrollBy(0, 2000));
    await page.waitForTimeout(20);
  }
  const scroll1000Ms = Date.now() - s;
  await context.close();
  return { versions: BIG, firstRowsMs, rowsInDom, scroll1000Ms };
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-dashboard-'));
let server;
let peer;
let browser;
const load0 = os.loadavg()[0];
try {
  const seedSeconds = await seedStore(home);
  server = await startServer(home);
  peer = await staticPeer(server.url);
  const api = {};
  for (const [key, target] of [['overviewMs', '/api/v1/dashboard/overview'], ['modelsPageMs', '/api/v1/models?pageSize=50'], ['whoamiMs', '/api/v1/whoami']]) {
    const times = await time(10, () => request(`${server.url}${target}`), 3);
    api[key] = round(median(times), 1);
  }
  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: FLAGS });
  const overview = await runs(browser, `${server.url}/`, (p) => p.getByRole('link', { name: `dep-${DEPLOYMENTS - 1}`, exact: true }).waitFor());
  const staticPage = await runs(browser, peer.url, (p) => p.getByRole('heading', { name: 'Models' }).waitFor());
  const big = await bigModel(browser, server.url);
  console.log(
    JSON.stringify({
      bench: 'dashboard',
      date: new Date().toISOString(),
      models: MODELS,
      versionsPerModel: VERSIONS,
      deployments: DEPLOYMENTS,
      runs: RUNS,
      seedSeconds,
      // The machine is shared: the 1-minute load average before and after says how busy it was.
      loadAverage: [round(load0, 1), round(os.loadavg()[0], 1)],
      overview,
      peer: { staticHtml: staticPage },
      lcpRatio: round(overview.lcpMedianMs / staticPage.lcpMedianMs, 2),
      apiMedian: api,
      bigModel: big,
      bundleGzipKB: round(fs.readdirSync(path.join(ROOT, 'web', 'dist', 'assets')).reduce((s, f) => s + (f.endsWith('.js') || f.endsWith('.css') ? gzipSize(path.join(ROOT, 'web', 'dist', 'assets', f)) : 0), 0) / 1024, 1),
    }),
  );
} finally {
  await browser?.close();
  await peer?.close();
  if (server) {
    const exited = new Promise((r) => server.child.on('exit', r));
    server.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(home, { recursive: true, force: true });
}

function gzipSize(file) {
  return zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
}
