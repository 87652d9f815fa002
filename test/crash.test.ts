import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { decodeSegment } from '../src/monitoring/prediction-segment.js';
import { readAll } from '../src/shared/read-all.js';
import { silentLogger } from '../src/shared/logger.js';
import { bytes, tempDir } from './helpers/app.js';
import { BIN, freePort } from './helpers/processes.js';

// kill -9 of the whole server (primary, serving processes, jobs process and what they started) in
// the middle of work, then a restart on the same state: nothing half-done may remain.

const ROOT = path.resolve(import.meta.dirname, '..');
const CSV = fs.readFileSync(path.join(ROOT, 'assets', 'datasets', 'breast-cancer.csv'), 'utf8');
const FEATURES = CSV.split('\n')[0]!.split(',').slice(0, -1);
const ROW = CSV.trim().split('\n')[1]!.split(',').slice(0, -1).map(Number);
const who = { actor: 'crash-test' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A model that answers 0 for everyone: any trained challenger beats it at the gate. */
const linear = (intercept: number) => JSON.stringify({ format: 'sextant-linear', features: FEATURES, link: 'logistic', classes: [0, 1], coefficients: [FEATURES.map(() => 0)], intercept: [intercept] });

interface Cluster {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** `sextant server --workers 2` in a process group of its own, so one signal reaches every process. */
async function startCluster(home: string, port: number, env: Record<string, string> = {}): Promise<Cluster> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', String(port), '--home', home, '--workers', '2'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SEXTANT_LOG_LEVEL: 'warn', SEXTANT_PROMOTION_INTERVAL_MS: '200', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`exited with ${code} before listening:\n${out}`)));
  });
  return { child, url, exited };
}

const running = new Set<ChildProcess>();

/** Segments whose body went to the blob store, read from the live server's SQLite file (WAL allows a reader). */
function blobSegments(home: string): number {
  const db = new Database(path.join(home, 'sextant.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select count(*) as n from prediction_segments where blob is not null').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGKILL to the whole process group: primary, workers, jobs process, trainers. */
async function killAll(c: Cluster): Promise<void> {
  process.kill(-c.child.pid!, 'SIGKILL');
  await c.exited;
  for (let i = 0; i < 100 && groupAlive(c.child.pid!); i++) await sleep(50);
  expect(groupAlive(c.child.pid!)).toBe(false);
  running.delete(c.child);
}

async function stop(c: Cluster): Promise<number | null> {
  c.child.kill('SIGTERM');
  const code = await c.exited;
  for (let i = 0; i < 100 && groupAlive(c.child.pid!); i++) await sleep(50);
  running.delete(c.child);
  return code;
}

afterEach(async () => {
  for (const child of running) {
    if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
  }
  running.clear();
});

async function api(c: Cluster, method: string, url: string, body?: unknown) {
  const res = await fetch(`${c.url}${url}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The state an app over `home` sees, for checks between runs (the server is down meanwhile). */
async function offline<T>(home: string, read: (app: App) => Promise<T>): Promise<T> {
  const app = await buildApp(loadConfig({ env: { SEXTANT_HOME: home, SEXTANT_RUN_JOBS: 'off' } }), { logger: silentLogger });
  try {
    return await read(app);
  } finally {
    await app.close();
  }
}

async function seed(home: string, build: (app: App) => Promise<void>) {
  await offline(home, build);
}

interface Load {
  /** Requests answered 200 so far. */
  ok(): number;
  stop(): Promise<{ ok: string[]; versions: Set<string>; statuses: Map<number, number> }>;
}

/** Inference from `concurrency` callers in a loop, each request of `rows` rows with its own id, until stopped. */
function load(c: Cluster, deployment: string, concurrency: number, prefix: string, rows = 1): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const ok: string[] = [];
  const versions = new Set<string>();
  const statuses = new Map<number, number>();
  let stopped = false;
  let n = 0;
  const one = (id: string) =>
    new Promise<void>((resolve) => {
      const req = http.request(`${c.url}/v1/deployments/${deployment}/invocations`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-request-id': id } }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
          if (res.statusCode === 200) {
            ok.push(id);
            versions.add(String(res.headers['x-model-version']));
          }
          resolve();
        });
        res.on('error', () => resolve());
      });
      // A request cut by the kill has no answer: it was not acknowledged, so nothing is owed for it.
      req.on('error', () => resolve());
      req.end(JSON.stringify({ instances: Array.from({ length: rows }, () => ROW) }));
    });
  const callers = Array.from({ length: concurrency }, async () => {
    while (!stopped) await one(`${prefix}-${n++}`);
  });
  return {
    ok: () => ok.length,
    async stop() {
      stopped = true;
      await Promise.all(callers);
      agent.destroy();
      return { ok, versions, statuses };
    },
  };
}

describe('kill -9 of the whole server, then a restart', () => {
  it('in the middle of a canary ramp: the ramp resumes or rolls back, never left half-moved', async () => {
    const home = tempDir('sextant-crash-ramp-');
    await seed(home, async (app) => {
      await app.registry.models.create({ name: 'bc', task: 'binary-classification' }, who);
      await app.registry.versions.register('bc', bytes(linear(-5)), { format: 'sextant-linear', alias: 'champion' }, who);
      await app.monitoring.references.upload('bc', 1, CSV, 'csv');
      await app.serving.deployments.create({ name: 'bc', model: 'bc', alias: 'champion' }, who);
      await app.pipelines.policies.set('bc', { trainer: { type: 'logistic' }, promotion: { strategy: 'canary', steps: [10, 50, 100], stepSeconds: 2 } }, who);
    });
    const port = await freePort();
    let c = await startCluster(home, port);
    expect((await api(c, 'POST', '/api/v1/models/bc/retrain', {})).status).toBe(202);
    const mid = await until('the ramp at 10 or 50 %', async () => {
      const p = (await api(c, 'GET', '/api/v1/promotions?model=bc')).json.promotions[0];
      return p?.status === 'running' && p.step >= 1 && p.step < 3 ? p : undefined;
    });
    await killAll(c);

    // Down: the deployment is at a step of the ramp, or not started; never a weight in between.
    const down = await offline(home, async (app) => ({ deployment: await app.serving.deployments.get('bc'), promotion: (await app.pipelines.promotions.list({ model: 'bc' }))[0]! }));
    expect(down.promotion.status).toBe('running');
    expect([null, 10, 50, 100]).toContain(down.deployment.canary?.weight ?? null);
    if (down.deployment.canary) expect(down.deployment.canary.version).toBe(mid.version);

    c = await startCluster(home, port);
    const done = await until('the promotion to end', async () => {
      const p = (await api(c, 'GET', '/api/v1/promotions?model=bc')).json.promotions[0];
      return p?.status === 'running' ? undefined : p;
    });
    const deployment = (await api(c, 'GET', '/api/v1/deployments/bc')).json;
    const champion = (await api(c, 'GET', '/api/v1/models/bc/versions/champion')).json;
    expect(deployment.canary).toBeNull();
    if (done.status === 'promoted') expect(champion.version).toBe(2);
    else expect({ status: done.status, champion: champion.version }).toEqual({ status: 'rolled_back', champion: 1 });
    expect((await api(c, 'GET', '/api/v1/audit/verify')).json).toMatchObject({ ok: true });
    expect(await stop(c)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  }, 180_000);

  it('in the middle of a retrain job: the job is retried once and succeeds', async () => {
    const home = tempDir('sextant-crash-job-');
    const marker = path.join(home, 'attempts.txt');
    // The first attempt blocks until it is killed; the second trains at once.
    const trainer = `const fs=require('fs');fs.appendFileSync(${JSON.stringify(marker)},'x\\n');
      const n=fs.readFileSync(${JSON.stringify(marker)},'utf8').trim().split('\\n').length;
      if(n===1){setTimeout(()=>{},600000);}else{const f=process.env.SEXTANT_FEATURES.split(',');
      fs.writeFileSync(process.env.SEXTANT_OUTPUT_DIR+'/model.json',JSON.stringify({format:'sextant-linear',features:f,link:'logistic',classes:[0,1],coefficients:[f.map(()=>0)],intercept:[5]}));}`;
    await seed(home, async (app) => {
      await app.registry.models.create({ name: 'bc', task: 'binary-classification' }, who);
      await app.registry.versions.register('bc', bytes(linear(-5)), { format: 'sextant-linear', alias: 'champion' }, who);
      await app.monitoring.references.upload('bc', 1, CSV, 'csv');
      await app.pipelines.policies.set('bc', { trainer: { type: 'command', command: [process.execPath, '-e', trainer] }, promotion: { strategy: 'manual' } }, who);
    });
    const port = await freePort();
    let c = await startCluster(home, port);
    const job = (await api(c, 'POST', '/api/v1/models/bc/retrain', {})).json;
    await until('the trainer to run', async () => (fs.existsSync(marker) ? true : undefined));
    await killAll(c);
    expect((await offline(home, (app) => app.pipelines.jobs.get(job.id))).status).toBe('running');

    c = await startCluster(home, port);
    // The dead worker's lease (30 s) expires, the job is queued again and the jobs process runs it.
    const finished = await until(
      'the job to finish',
      async () => {
        const j = (await api(c, 'GET', `/api/v1/jobs/${job.id}`)).json;
        return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
      },
      120_000,
    );
    expect(finished).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(fs.readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(2);
    expect((await api(c, 'GET', '/api/v1/models/bc/versions/challenger')).json.version).toBe(2);
    expect((await api(c, 'GET', '/api/v1/audit/verify')).json).toMatchObject({ ok: true });
    expect(await stop(c)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  }, 240_000);

  it('during an alias move under inference load: the alias holds a whole version, which is what is served', async () => {
    const home = tempDir('sextant-crash-alias-');
    await seed(home, async (app) => {
      await app.registry.models.create({ name: 'm', task: 'binary-classification' }, who);
      await app.registry.versions.register('m', bytes(linear(-5)), { format: 'sextant-linear', alias: 'champion' }, who);
      await app.registry.versions.register('m', bytes(linear(5)), { format: 'sextant-linear' }, who);
      await app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
    });
    const port = await freePort();
    let c = await startCluster(home, port);
    const traffic = load(c, 'm', 8, 'alias');
    await until('answers under load', async () => (traffic.ok() >= 50 ? true : undefined));
    void api(c, 'PUT', '/api/v1/models/m/aliases/champion', { version: 2, reason: 'crash test' }).catch(() => {});
    await sleep(Math.floor(Math.random() * 40));
    await killAll(c);
    const before = await traffic.stop();
    expect([...before.statuses.keys()]).toEqual([200]);
    expect([...before.versions].every((v) => v === '1' || v === '2')).toBe(true);

    c = await startCluster(home, port);
    const alias = (await api(c, 'GET', '/api/v1/models/m/aliases')).json.aliases.find((a: { alias: string }) => a.alias === 'champion');
    expect([1, 2]).toContain(alias.version);
    const history = (await api(c, 'GET', '/api/v1/models/m/history?alias=champion')).json.periods;
    expect(history[history.length - 1].version).toBe(alias.version);
    const after = load(c, 'm', 2, 'after');
    await until('answers after the restart', async () => (after.ok() >= 20 ? true : undefined));
    const served = await after.stop();
    expect(served.ok.length).toBeGreaterThan(0);
    expect([...served.versions]).toEqual([String(alias.version)]);
    expect((await api(c, 'GET', '/api/v1/audit/verify')).json).toMatchObject({ ok: true });
    expect(await stop(c)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  }, 180_000);

  it('during prediction-log flushes: every stored segment is whole, and SIGTERM loses no answered prediction', async () => {
    const home = tempDir('sextant-crash-log-');
    await seed(home, async (app) => {
      await app.registry.models.create({ name: 'm', task: 'binary-classification' }, who);
      await app.registry.versions.register('m', bytes(linear(-5)), { format: 'sextant-linear', alias: 'champion' }, who);
      await app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
    });
    const port = await freePort();
    let c = await startCluster(home, port);
    // 64-row requests make segments over 64 KiB, which go to the blob store before their row.
    const killed = [load(c, 'm', 12, 'killed'), load(c, 'm', 4, 'killed-wide', 64)];
    await until('answers under load', async () => (killed[0]!.ok() >= 150 && killed[1]!.ok() >= 30 ? true : undefined));
    // Kill only once wide segments have reached the blob store, so the kill lands among flushes of both kinds.
    await until('a segment in the blob store', async () => (blobSegments(home) > 0 ? true : undefined));
    await killAll(c);
    const answeredBeforeKill = (await Promise.all(killed.map((l) => l.stop()))).flatMap((r) => r.ok);
    expect(answeredBeforeKill.length).toBeGreaterThan(100);

    let blobs = 0;
    const logged = await offline(home, async (app) => {
      const rows = await app.database.db.selectFrom('prediction_segments').select(['deployment', 'model', 'records', 'body', 'blob', 'skip']).execute();
      blobs = rows.filter((r) => r.blob !== null).length;
      const ids: string[] = [];
      for (const s of rows) {
        // A blob is read through its digest check; a row's body must decode into exactly its records.
        const body = s.body ?? (await readAll(await app.blobs.get(s.blob!)));
        const records = decodeSegment({ deployment: s.deployment, model: s.model, body });
        expect(records).toHaveLength(Number(s.records));
        ids.push(...records.map((r) => r.requestId));
      }
      return ids;
    });
    // What was logged was answered; what was answered in the last moments may be lost to SIGKILL.
    const answered = new Set(answeredBeforeKill);
    expect(logged.filter((id) => id.startsWith('killed') && !answered.has(id))).toEqual([]);
    expect(blobs).toBeGreaterThan(0);
    console.log(`SIGKILL during flushes: ${answered.size} answered, ${logged.length} logged in whole segments (${blobs} in the blob store)`);

    // SIGTERM under load: every answered prediction is in the log once the server has exited.
    c = await startCluster(home, port, { SEXTANT_LOG_FLUSH_MS: '20' });
    const drained = load(c, 'm', 16, 'drained');
    await until('answers under load', async () => (drained.ok() >= 150 ? true : undefined));
    c.child.kill('SIGTERM');
    const code = await c.exited;
    const answeredBeforeTerm = await drained.stop();
    expect(code).toBe(0);
    running.delete(c.child);
    const kept = await offline(home, async (app) => {
      const rows = await app.database.db.selectFrom('prediction_segments').select(['deployment', 'model', 'body', 'blob']).execute();
      const ids = new Set<string>();
      for (const s of rows) for (const r of decodeSegment({ deployment: s.deployment, model: s.model, body: s.body ?? (await readAll(await app.blobs.get(s.blob!))) })) ids.add(r.requestId);
      return ids;
    });
    const lost = answeredBeforeTerm.ok.filter((id) => !kept.has(id));
    console.log(`SIGTERM under load: ${answeredBeforeTerm.ok.length} answered, ${answeredBeforeTerm.ok.length - lost.length} logged`);
    expect(answeredBeforeTerm.ok.length).toBeGreaterThan(100);
    expect(lost).toEqual([]);
    fs.rmSync(home, { recursive: true, force: true });
  }, 180_000);
});
