import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, testApp, type TestApp } from './helpers/app.js';
import { fakeRemote } from './helpers/fake-remote.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'serving');
const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')).cases;
const bc = expected['breast-cancer-logistic'] as { features: string[]; rows: number[][]; probabilities: number[][]; label: number[] };
const signature = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'quickstart', 'signature.json'), 'utf8'));
const who = { actor: 'test' };

let t: TestApp;
let slow: Awaited<ReturnType<typeof fakeRemote>>;
let failing: Awaited<ReturnType<typeof fakeRemote>>;

interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

// Inference runs over two transports: the Fastify routes (which inject() drives) and, over a
// socket, the server's direct path for JSON bodies. The protocol suite runs on both.
let transport: 'inject' | 'socket' = 'inject';
let baseUrl = '';

async function request(method: 'GET' | 'POST', url: string, payload: string | undefined, headers: Record<string, string>): Promise<Answer> {
  if (transport === 'inject') return t.server.inject({ method, url, payload, headers });
  const res = await fetch(baseUrl + url, { method, body: payload, headers });
  const body = await res.text();
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body, json: () => JSON.parse(body) };
}

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  request('POST', url, typeof payload === 'string' ? payload : JSON.stringify(payload), { 'content-type': 'application/json', ...headers });

const oip2d = (rows: number[][]) => ({ inputs: [{ name: 'input-0', shape: [rows.length, rows[0]!.length], datatype: 'FP64', data: rows }] });

function expectError(res: Answer, status: number, message: RegExp) {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(res.json().error.message).toMatch(message);
}

beforeAll(async () => {
  t = await testApp({ env: { SEXTANT_BODY_LIMIT: '200000', SEXTANT_REFRESH_MS: '50' } });
  slow = await fakeRemote({ delayMs: 2000 });
  failing = await fakeRemote({ status: 500 });
  const r = t.app.registry;
  await r.models.create({ name: 'bc', task: 'binary-classification' }, who);
  await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-logreg.onnx'))), { format: 'onnx', signature, alias: 'champion' }, who);
  await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear' }, who);
  await r.versions.register('bc', bytes(JSON.stringify({ url: slow.url, protocol: 'mlflow', features: bc.features })), { format: 'remote' }, who);
  await r.versions.register('bc', bytes(JSON.stringify({ url: failing.url, protocol: 'mlflow', features: bc.features })), { format: 'remote' }, who);
  await r.models.create({ name: 'xgb', task: 'binary-classification' }, who);
  await r.versions.register('xgb', bytes(fs.readFileSync(path.join(FIX, 'xgb-binary.json'))), { format: 'xgboost-json', alias: 'champion' }, who);
  const d = t.app.serving.deployments;
  await d.create({ name: 'bc', model: 'bc', alias: 'champion' }, who);
  await d.create({ name: 'xgb', model: 'xgb', alias: 'champion' }, who);
  await t.app.serving.live.refresh();
  baseUrl = await t.server.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await t?.close();
  await slow?.close();
  await failing?.close();
});

describe.each(['inject', 'socket'] as const)('inference protocols over %s', (via) => {
  beforeAll(() => {
    transport = via;
  });
  afterAll(() => {
    transport = 'inject';
  });

  it('answers OIP v2 with a 2-D tensor, matching sklearn, with request id and version headers', async () => {
    const res = await post('/v2/models/bc/infer', { id: 'abc', ...oip2d(bc.rows) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-model-version']).toBe('1');
    expect(res.headers['x-request-id']).toBeTruthy();
    const body = res.json();
    expect(body).toMatchObject({ model_name: 'bc', model_version: '1', id: 'abc' });
    const probs = body.outputs.find((o: { name: string }) => o.name === 'probabilities');
    expect(probs.shape).toEqual([bc.rows.length, 2]);
    const worst = Math.max(...probs.data.map((p: number, i: number) => Math.abs(p - bc.probabilities.flat()[i]!)));
    expect(worst).toBeLessThan(1e-6);
    expect(body.outputs[0].data).toEqual(bc.label);
  });

  it('accepts one 1-D tensor per feature, named after it', async () => {
    const rows = bc.rows.slice(0, 3);
    const inputs = bc.features.map((name, c) => ({ name, shape: [3], datatype: 'FP32', data: rows.map((r) => r[c]) }));
    const res = await post('/v2/models/bc/infer', { inputs: [...inputs, { name: 'ignored_extra', shape: [3], datatype: 'FP32', data: [1, 2, 3] }] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().outputs[0].data).toEqual(bc.label.slice(0, 3));
  });

  it('answers MLflow dataframe_split, dataframe_records, instances, inputs and CSV alike', async () => {
    const rows = bc.rows.slice(0, 4);
    const records = rows.map((r) => Object.fromEntries(bc.features.map((f, i) => [f, r[i]])));
    const bodies = [
      { dataframe_split: { columns: bc.features, data: rows } },
      { dataframe_records: records },
      { instances: rows },
      { instances: records },
      { inputs: Object.fromEntries(bc.features.map((f, i) => [f, rows.map((r) => r[i])])) },
    ];
    for (const body of bodies) {
      const res = await post('/v1/deployments/bc/invocations', body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().predictions.map((p: { label: number }) => p.label)).toEqual(bc.label.slice(0, 4));
    }
    const csv = [bc.features.join(','), ...rows.map((r) => r.join(','))].join('\n');
    const res = await request('POST', '/v1/deployments/bc/invocations', csv, { 'content-type': 'text/csv' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().predictions.map((p: { label: number }) => p.label)).toEqual(bc.label.slice(0, 4));
  });

  it('routes null (missing) through XGBoost trees and matches xgboost', async () => {
    const x = expected['xgb-binary'] as { rows: (number | null)[][]; probabilities: number[][] };
    const res = await post('/v2/models/xgb/infer', { inputs: [{ name: 'x', shape: [x.rows.length, x.rows[0]!.length], datatype: 'FP32', data: x.rows.flat() }] });
    expect(res.statusCode, res.body).toBe(200);
    const probs = res.json().outputs[1].data as number[];
    expect(Math.max(...probs.map((p, i) => Math.abs(p - x.probabilities.flat()[i]!)))).toBeLessThan(1e-6);
  });

  it('serves metadata, readiness and one version directly', async () => {
    const meta = (await t.server.inject({ method: 'GET', url: '/v2/models/bc' })).json();
    expect(meta.inputs[0]).toEqual({ name: 'mean_radius', datatype: 'FP32', shape: [-1] });
    expect(meta.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities']);
    expect((await t.server.inject({ method: 'GET', url: '/v2' })).json().name).toBe('sextant');
    expect((await t.server.inject({ method: 'GET', url: '/v2/health/ready' })).json()).toEqual({ ready: true });
    expect((await t.server.inject({ method: 'GET', url: '/v2/models/bc/ready' })).json()).toEqual({ name: 'bc', ready: true });
    const v2 = await post('/v2/models/bc/versions/2/infer', oip2d(bc.rows.slice(0, 2)));
    expect(v2.statusCode, v2.body).toBe(200);
    expect(v2.headers['x-model-version']).toBe('2');
    expect(v2.json().outputs[1].datatype).toBe('FP64');
  });

  it('answers every bad input with a 4xx naming the problem', async () => {
    const row = bc.rows[0]!;
    expectError(await post('/v2/models/nope/infer', oip2d([row])), 404, /deployment nope not found/);
    expectError(await post('/v2/models/bc/versions/99/infer', oip2d([row])), 404, /version 99 of model bc not found/);
    expectError(await post('/v2/models/bc/infer', { inputs: [{ name: 'x', shape: [2, 30], datatype: 'FP64', data: row }] }), 400, /shape \[2, 30\] holds 60 values but data has 30/);
    expectError(await post('/v2/models/bc/infer', { inputs: [{ name: 'x', shape: [1, 30], datatype: 'FLOAT', data: row }] }), 400, /datatype/);
    expectError(await post('/v2/models/bc/infer', { inputs: [{ name: 'x', shape: [1, 30], datatype: 'FP64', data: row.map(String) }] }), 400, /element 0 is string, not valid for datatype FP64/);
    expectError(await post('/v2/models/bc/infer', oip2d([row.slice(0, 29)])), 400, /expected 30 features per row in signature order \(mean_radius/);
    expectError(await post('/v2/models/bc/infer', { inputs: 'nope' }), 400, /inputs/);
    expectError(await post('/v2/models/bc/infer', { inputs: [{ name: 'x', shape: [1, 30], datatype: 'FP64', data: [null, ...row.slice(1)] }] }), 400, /feature mean_radius is missing in row 0/);
    const missing = Object.fromEntries(bc.features.slice(1).map((f, i) => [f, row[i + 1]]));
    expectError(await post('/v1/deployments/bc/invocations', { dataframe_records: [missing] }), 400, /missing required feature mean_radius/);
    expectError(await post('/v1/deployments/bc/invocations', { dataframe_records: [{ ...missing, mean_radius: 'big' }] }), 400, /feature mean_radius in row 0: expected a number, got string "big"/);
    expectError(await post('/v1/deployments/bc/invocations', { rows: [] }), 400, /exactly one of dataframe_split/);
    expectError(await post('/v1/deployments/bc/invocations', '{"instances": ['), 400, /malformed JSON/);
    const huge = { instances: Array.from({ length: 1000 }, () => row) };
    expectError(await post('/v1/deployments/bc/invocations', huge), 413, /.+/);
    expectError(await post('/v1/deployments/bc/invocations', ''), 400, /empty/);
    expectError(await post('/v1/deployments/bc/invocations', '{"__proto__": {"x": 1}}'), 400, /malformed JSON: .*prototype/);
    expectError(await post('/v1/deployments/BC/invocations', { instances: [row] }), 400, /params.name: must match/);
    expectError(await post('/v2/models/bc/versions/0/infer', oip2d([row])), 400, /params.version/);
  });

  it('echoes a usable x-request-id, replaces an unusable one, and answers with the same headers on every path', async () => {
    // A CSV body takes the Fastify route over a socket too, so both paths answer here.
    const csv = `${bc.features.join(',')}\n${bc.rows[0]!.join(',')}\n`;
    const given = await request('POST', '/v1/deployments/bc/invocations', csv, { 'content-type': 'text/csv', 'x-request-id': 'caller-id-1' });
    expect(given.statusCode, given.body).toBe(200);
    expectError(await post('/v1/deployments/bc/invocations?trace=1', { instances: [bc.rows[0]] }), 400, /query\.trace: unknown key/);
    expect(given.headers['x-request-id']).toBe('caller-id-1');
    const bad = await post('/v2/models/bc/infer', oip2d([bc.rows[0]!]), { 'x-request-id': 'no spaces allowed' });
    expect(bad.headers['x-request-id']).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(bad.json().id).toBe(bad.headers['x-request-id']);
    for (const res of [given, bad]) {
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['x-sextant-worker']).toBe(String(process.pid));
      expect(res.headers['x-model-version']).toBe('1');
    }
  });
});

describe('traffic', () => {
  it('honours a 10 % canary within ±2 points over 10,000 requests, and sticky keys', async () => {
    await t.app.serving.deployments.canary('bc', { version: 2, weight: 10 }, who);
    await t.app.serving.live.refresh();
    const body = JSON.stringify(oip2d([bc.rows[0]!]));
    let canary = 0;
    for (let i = 0; i < 10_000; i++) {
      const res = await t.server.inject({ method: 'POST', url: '/v2/models/bc/infer', payload: body, headers: { 'content-type': 'application/json' } });
      if (res.headers['x-model-version'] === '2') canary++;
    }
    expect(Math.abs(canary / 100 - 10)).toBeLessThanOrEqual(2);
    await t.app.serving.deployments.update('bc', { stickyHeader: 'x-user' }, who);
    await t.app.serving.live.refresh();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(String((await post('/v2/models/bc/infer', oip2d([bc.rows[0]!]), { 'x-user': 'user-42' })).headers['x-model-version']));
    expect(seen.size).toBe(1);
    await t.app.serving.deployments.update('bc', { stickyHeader: null }, who);
  });

  it('promotes a canary by moving the followed alias, and aborts', async () => {
    const promoted = await t.app.serving.deployments.promote('bc', who);
    expect(promoted).toMatchObject({ routes: [{ version: 2, weight: 100, role: 'primary' }] });
    expect((await t.app.registry.versions.get('bc', 'champion')).version).toBe(2);
    await t.app.registry.aliases.set('bc', 'champion', { version: 1, reason: 'back to onnx' }, who);
    await t.app.serving.deployments.canary('bc', { version: 2, weight: 50 }, who);
    const aborted = await t.app.serving.deployments.abort('bc', { ...who, reason: 'not needed' });
    expect(aborted.routes).toEqual([{ version: 1, weight: 100, role: 'primary' }]);
    expect(aborted.lastEvent).toMatchObject({ action: 'abort', reason: 'not needed' });
    await t.app.serving.live.refresh();
  });

  it('isolates shadows: a shadow that sleeps 2 s or fails changes nothing for the caller', async () => {
    await t.app.serving.deployments.update('bc', { shadow: [3, 4] }, who);
    await t.app.serving.live.refresh();
    const before = slow.calls() + failing.calls();
    const started = performance.now();
    for (let i = 0; i < 5; i++) {
      const res = await post('/v2/models/bc/infer', oip2d([bc.rows[i]!]));
      expect(res.statusCode).toBe(200);
      expect(res.json().outputs[0].data).toEqual([bc.label[i]]);
    }
    expect(performance.now() - started).toBeLessThan(1500);
    await new Promise((r) => setTimeout(r, 300));
    expect(failing.calls() + slow.calls()).toBeGreaterThan(before);
    const metrics = (await t.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/sextant_shadow_errors_total\{deployment="bc",version="4"\} [1-9]/);
    await t.app.serving.deployments.update('bc', { shadow: [] }, who);
    await t.app.serving.live.refresh();
  });

  it('rolls a canary that breaches its SLO back to weight 0, audited and visible in status', async () => {
    // The guard's own pass (every second) would otherwise race the explicit one below: on a slow
    // machine the 80 requests outlast a second, and it rolled the canary back first.
    t.app.serving.slo.stop();
    await t.app.serving.deployments.update('bc', { slo: { maxErrorRate: 0.05, windowSeconds: 60, minRequests: 20 } }, who);
    await t.app.serving.deployments.canary('bc', { version: 4, weight: 50 }, who);
    await t.app.serving.live.refresh();
    let failures = 0;
    for (let i = 0; i < 80; i++) if ((await post('/v2/models/bc/infer', oip2d([bc.rows[0]!]))).statusCode !== 200) failures++;
    expect(failures).toBeGreaterThan(0);
    const events: { type: string; subject: string }[] = [];
    await t.app.events.subscribe('deployment.', (e) => void events.push(e));
    await t.app.serving.slo.flush(true);
    expect(await t.app.serving.slo.check()).toEqual(['bc']);
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([expect.objectContaining({ type: 'deployment.slo_rollback', subject: 'bc', data: expect.objectContaining({ version: 4 }) })]);
    const status = await t.app.serving.deployments.get('bc');
    expect(status.canary).toEqual({ version: 4, weight: 0 });
    expect(status.lastEvent).toMatchObject({ action: 'slo-rollback', reason: expect.stringMatching(/error rate .* > 5.00 %/) });
    const audit = await t.app.audit.list({ target: 'deployment:bc', action: 'deployment.slo-rollback' });
    expect(audit.events).toHaveLength(1);
    for (let i = 0; i < 30; i++) expect((await post('/v2/models/bc/infer', oip2d([bc.rows[0]!]))).statusCode).toBe(200);
    await t.app.serving.deployments.abort('bc', who);
    await t.app.serving.deployments.update('bc', { slo: null }, who);
    await t.app.serving.live.refresh();
    t.app.serving.slo.start();
  });

  it('batches concurrent requests into shared runtime calls, each keeping its own rows and errors', async () => {
    await t.app.serving.deployments.update('bc', { batching: { maxBatchSize: 16, maxLatencyMs: 20 } }, who);
    await t.app.serving.live.refresh();
    const results = await Promise.all(
      bc.rows.map((row, i) => post('/v2/models/bc/infer', i % 7 === 3 ? oip2d([row.slice(0, 5)]) : oip2d([row]))),
    );
    results.forEach((res, i) => {
      if (i % 7 === 3) expect(res.statusCode).toBe(400);
      else {
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().outputs[0].data).toEqual([bc.label[i]]);
        expect(Math.abs(res.json().outputs[1].data[1] - bc.probabilities[i]![1]!)).toBeLessThan(1e-6);
      }
    });
    const metrics = (await t.server.inject({ method: 'GET', url: '/metrics' })).body;
    const batches = Number(/sextant_batch_rows_count\{deployment="bc"\} (\d+)/.exec(metrics)![1]);
    expect(batches).toBeLessThan(results.length - 5);
    expect(metrics).toMatch(/sextant_batch_queue_depth\{deployment="bc"\} 0/);
    await t.app.serving.deployments.update('bc', { batching: null }, who);
    await t.app.serving.live.refresh();
  });

  it('refuses to delete a model that a deployment serves', async () => {
    await t.app.registry.aliases.delete('xgb', 'champion', who).catch(() => {});
    const err = await t.app.registry.models.delete('xgb', who).catch((e: Error) => e);
    expect(String(err)).toMatch(/served by deployment\(s\) xgb/);
  });

  it('exports Prometheus metrics per deployment and version', async () => {
    const metrics = (await t.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/sextant_inference_requests_total\{deployment="bc",version="1",code="200"\} \d+/);
    expect(metrics).toMatch(/sextant_inference_requests_total\{deployment="bc",version="routed",code="400"\} \d+/);
    expect(metrics).toMatch(/sextant_inference_duration_seconds_bucket\{le="0.001",deployment="bc",version="1"\}/);
    expect(metrics).toMatch(/sextant_loaded_models \d+/);
    expect(metrics).toMatch(/sextant_process_resident_memory_bytes/);
  });
});

describe('the direct inference path (over a socket)', () => {
  const row = () => bc.rows[0]!;

  it('refuses a body that is not UTF-8, naming the problem', async () => {
    const res = await fetch(`${baseUrl}/v1/deployments/bc/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not valid UTF-8/);
  });

  it('answers 413 to an oversized body sent in chunks, without reading all of it, and keeps serving', async () => {
    const chunk = Buffer.from(`${JSON.stringify(row())},`.repeat(200));
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent === 0) controller.enqueue(Buffer.from('{"instances": ['));
        sent += chunk.length;
        if (sent > 50_000_000) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${baseUrl}/v1/deployments/bc/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/larger than the limit of 200000 bytes/);
    expect(sent).toBeLessThan(50_000_000);
    const next = await fetch(`${baseUrl}/v1/deployments/bc/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [row()] }) });
    expect(next.status).toBe(200);
  });
});
