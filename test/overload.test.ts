import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { bytes, tempDir, testApp } from './helpers/app.js';
import { fakeRemote } from './helpers/fake-remote.js';
import { startCliServer, type ServerProcess } from './helpers/processes.js';

const who = { actor: 'test' };

interface Answer {
  status: number;
  retryAfter?: string;
  code?: string;
  ms: number;
}

/** One request on a connection of its own, as one of many callers would send it. */
function send(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const code = res.statusCode !== 200 && text ? (JSON.parse(text) as { error?: { code: string } }).error?.code : undefined;
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], code, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function waitUntil(condition: () => boolean) {
  for (let i = 0; i < 6000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

/** A server whose `slow` deployment is a remote model taking `delayMs`, optionally batched. */
async function overloadable(env: Record<string, string>, batching: { maxBatchSize: number; maxLatencyMs: number } | null = null) {
  const remote = await fakeRemote();
  const t = await testApp({ env });
  await t.app.registry.models.create({ name: 'slow', task: 'regression' }, who);
  await t.app.registry.versions.register('slow', bytes(JSON.stringify({ url: remote.url, protocol: 'mlflow', features: ['x'], timeoutMs: 600_000 })), { format: 'remote', alias: 'champion' }, who);
  await t.app.serving.deployments.create({ name: 'slow', model: 'slow', alias: 'champion', batching }, who);
  await t.app.serving.live.refresh();
  const base = await t.server.listen({ port: 0, host: '127.0.0.1' });
  return { remote, t, base, close: async () => Promise.all([t.close(), remote.close()]) };
}

function shedTotal(metrics: string, reason: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith('sextant_inference_shed_total{') && l.includes('deployment="slow"') && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('overload: a bound on in-flight inference', () => {
  let home: string;
  let remote: Awaited<ReturnType<typeof fakeRemote>>;
  let server: ServerProcess;
  beforeAll(async () => {
    remote = await fakeRemote();
    home = tempDir('sextant-overload-');
    const app = await buildApp(loadConfig({ env: { SEXTANT_HOME: home } }), { logger: silentLogger });
    await app.start();
    await app.registry.models.create({ name: 'slow', task: 'regression' }, who);
    await app.registry.versions.register('slow', bytes(JSON.stringify({ url: remote.url, protocol: 'mlflow', features: ['x'], timeoutMs: 600_000 })), { format: 'remote', alias: 'champion' }, who);
    await app.serving.deployments.create({ name: 'slow', model: 'slow', alias: 'champion' }, who);
    await app.close();
    // Its own process, as in production: the callers' work here does not slow the server's loop.
    server = await startCliServer(['server', '--port', '0', '--home', home], { SEXTANT_MAX_INFLIGHT: '8' });
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await remote?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('answers only 200 and 429 (with Retry-After) under 120 concurrent callers, and counts the shed ones', async () => {
    expect((await send(server.url, 'POST', '/v1/deployments/slow/invocations', { instances: [[0]] })).status).toBe(200);
    const before = remote.calls();
    // The remote model answers nothing until released: 8 requests are admitted and wait on it.
    remote.hold();
    let done = 0;
    const load = Array.from({ length: 120 }, (_, i) => send(server.url, 'POST', '/v1/deployments/slow/invocations', { instances: [[i]] }).finally(() => done++));
    await waitUntil(() => remote.calls() === before + 8 && done === 112);
    // While the admitted requests wait on the remote model, the control plane and health still answer.
    const answered = remote.answered();
    const during = await Promise.all([
      send(server.url, 'GET', '/healthz'),
      send(server.url, 'GET', '/api/v1/deployments/slow'),
      send(server.url, 'GET', '/v2/health/ready'),
    ]);
    const stillWaiting = remote.answered() === answered;
    console.log(`control plane during overload: ${during.map((d) => `${d.status} in ${d.ms.toFixed(1)} ms`).join(', ')}`);
    expect(during.map((d) => d.status)).toEqual([200, 200, 200]);
    // Answered before any admitted request finished: they did not queue behind the model.
    expect(stillWaiting).toBe(true);

    remote.release();
    const answers = await Promise.all(load);
    const by = (status: number) => answers.filter((a) => a.status === status);
    expect(by(200).length).toBe(8);
    expect(by(429).length).toBe(112);
    for (const a of by(429)) expect(a).toMatchObject({ retryAfter: '1', code: 'resource_exhausted' });
    expect(remote.calls() - before).toBe(by(200).length);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(shedTotal(metrics, 'inflight')).toBe(by(429).length);
    // Once the load is gone, the next request is admitted again.
    expect((await send(server.url, 'POST', '/v1/deployments/slow/invocations', { instances: [[1]] })).status).toBe(200);
  });
});

describe('overload: a bound on the batch queue', () => {
  let s: Awaited<ReturnType<typeof overloadable>>;
  beforeAll(async () => {
    // maxBatchSize 1: the queue holds at most 64 rows waiting or being scored.
    s = await overloadable({ SEXTANT_MAX_INFLIGHT: '1000' }, { maxBatchSize: 1, maxLatencyMs: 1 });
  });
  afterAll(async () => s?.close());

  it('answers 429 once the deployment’s batch queue is full, and every admitted request is scored', async () => {
    const before = s.remote.calls();
    // Nothing is answered until all 100 have arrived: 64 fill the queue, 36 find it full.
    s.remote.hold();
    let done = 0;
    const pending = Array.from({ length: 100 }, (_, i) => send(s.base, 'POST', '/v1/deployments/slow/invocations', { instances: [[i]] }).finally(() => done++));
    await waitUntil(() => s.remote.calls() === before + 64 && done === 36);
    s.remote.release();
    const answers = await Promise.all(pending);
    const ok = answers.filter((a) => a.status === 200).length;
    const shed = answers.filter((a) => a.status === 429);
    expect(ok).toBe(64);
    expect(shed).toHaveLength(36);
    for (const a of shed) expect(a).toMatchObject({ retryAfter: '1', code: 'resource_exhausted' });
    expect(s.remote.calls() - before).toBe(ok);
    const metrics = (await s.t.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(shedTotal(metrics, 'batch_queue')).toBe(shed.length);
  });
});
