import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, testApp, type TestApp } from './helpers/app.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'onnx');

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ env: { SEXTANT_BODY_LIMIT: '65536', SEXTANT_MAX_ARTIFACT_BYTES: '200000' } });
});
afterAll(async () => t?.close());

const json = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
  t.server.inject({ method: method as 'GET', url, payload: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

function upload(model: string, meta: unknown, file: Buffer | string, opts?: { metadataFirst?: boolean }) {
  const { body, contentType } = multipart(meta, file, opts);
  return t.server.inject({ method: 'POST', url: `/api/v1/models/${model}/versions`, payload: body, headers: { 'content-type': contentType } });
}

function expectError(res: { statusCode: number; json(): unknown; headers: Record<string, unknown> }, status: number, code: string, message?: RegExp) {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  const body = res.json() as { error: { code: string; message: string; requestId: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  if (message) expect(body.error.message).toMatch(message);
}

describe('REST API', () => {
  it('creates a model and returns it with 201, reading the actor from x-sextant-actor', async () => {
    const res = await json('POST', '/api/v1/models', { name: 'credit', task: 'binary-classification', tags: { team: 'risk' } }, { 'x-sextant-actor': 'dana' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'credit', owner: 'dana', aliases: {}, latestVersion: null });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('registers ONNX versions, reading the signature from the model', async () => {
    const file = fs.readFileSync(path.join(FIXTURES, 'per-feature.onnx'));
    const res = await upload('credit', { format: 'onnx', metrics: { auc: 0.9 }, alias: 'champion' }, file);
    expect(res.statusCode, res.body).toBe(201);
    const v = res.json();
    expect(v).toMatchObject({ version: 1, digest: createHash('sha256').update(file).digest('hex'), size: file.length, aliases: ['champion'] });
    expect(v.signature.inputs.map((i: { name: string; type: string }) => `${i.name}:${i.type}`)).toEqual(['amount:double', 'count:int64', 'country:string']);
    const dl = await t.server.inject({ method: 'GET', url: '/api/v1/models/credit/versions/champion/artifact' });
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.equals(file)).toBe(true);
    expect(dl.headers['x-sextant-digest']).toBe(v.digest);
    const resolved = await t.server.inject({ method: 'GET', url: '/api/v1/resolve?ref=credit@champion' });
    expect(resolved.json().version).toBe(1);
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/resolve?ref=credit/1' })).json().version).toBe(1);
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/resolve?ref=credit@latest' })).json().version).toBe(1);
  });

  it('rejects an artifact that claims to be ONNX but is not, keeping nothing', async () => {
    const res = await upload('credit', { format: 'onnx' }, 'definitely not protobuf');
    expectError(res, 400, 'invalid_argument', /not a valid ONNX model/);
    expect((await json('GET', '/api/v1/models/credit')).json().latestVersion).toBe(1);
  });

  it('answers invalid names with 400 naming the field, including path tricks', async () => {
    expectError(await json('POST', '/api/v1/models', { name: 'Bad Name', task: 'regression' }), 400, 'invalid_argument', /body\.name/);
    expectError(await json('POST', '/api/v1/models', { name: '../etc', task: 'regression' }), 400, 'invalid_argument', /body\.name/);
    expectError(await json('GET', '/api/v1/models/..%2F..%2Fetc'), 400, 'invalid_argument', /params\.name/);
    expectError(await json('GET', '/api/v1/models/a%2Fb'), 400, 'invalid_argument', /params\.name/);
    // An encoded dot segment is resolved by URL parsing before routing: no model route matches.
    expect((await json('GET', '/api/v1/models/%2e%2e')).statusCode).toBe(404);
    expectError(await json('GET', '/api/v1/models/a..b%2F..%2F..'), 400, 'invalid_argument', /params\.name/);
    expectError(await json('POST', '/api/v1/models', { name: 'ok', task: 'clustering' }), 400, 'invalid_argument', /body\.task/);
    expectError(await json('POST', '/api/v1/models', { name: 'ok', task: 'regression', extra: 1 }), 400, 'invalid_argument', /extra/);
  });

  it('answers unknown models, versions and aliases with 404 naming them', async () => {
    expectError(await json('GET', '/api/v1/models/ghost'), 404, 'not_found', /model ghost/);
    expectError(await json('GET', '/api/v1/models/credit/versions/42'), 404, 'not_found', /version 42 of model credit/);
    expectError(await json('GET', '/api/v1/models/credit/versions/staging'), 404, 'not_found', /alias staging/);
    expectError(await json('PUT', '/api/v1/models/credit/aliases/staging', { version: 7 }), 404, 'not_found', /version 7/);
    expectError(await upload('ghost', { format: 'onnx' }, 'x'), 404, 'not_found', /model ghost/);
    expectError(await json('GET', '/api/v1/nothing-here'), 404, 'not_found');
  });

  it('answers a duplicate model with 409 and deleting an aliased model with 409', async () => {
    expectError(await json('POST', '/api/v1/models', { name: 'credit', task: 'regression' }), 409, 'already_exists', /credit already exists/);
    expectError(await json('DELETE', '/api/v1/models/credit'), 409, 'conflict', /aliases/);
  });

  it('answers malformed JSON, empty bodies and non-UTF-8 with 400', async () => {
    const raw = (payload: string | Buffer) =>
      t.server.inject({ method: 'POST', url: '/api/v1/models', payload, headers: { 'content-type': 'application/json' } });
    expectError(await raw('{"name": "x", '), 400, 'invalid_argument', /malformed JSON/);
    expectError(await raw(''), 400, 'invalid_argument', /empty/);
    expectError(await raw(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, 'invalid_argument', /UTF-8/);
    expectError(await raw('{"__proto__": {"x": 1}, "name": "p", "task": "regression"}'), 400, 'invalid_argument');
    expectError(await json('PATCH', '/api/v1/models/credit', { tags: { k: 5 } }), 400, 'invalid_argument', /body\.tags\.k/);
    const textBody = await t.server.inject({ method: 'POST', url: '/api/v1/models', payload: 'name=x', headers: { 'content-type': 'text/plain' } });
    expectError(textBody, 415, 'unsupported_media_type');
  });

  it('answers bodies over the limit with 413', async () => {
    const big = { name: 'big', task: 'regression', description: 'x'.repeat(70_000) };
    expectError(await json('POST', '/api/v1/models', big), 413, 'payload_too_large');
    await json('POST', '/api/v1/models', { name: 'sizes', task: 'regression' });
    expectError(await upload('sizes', { format: 'sextant-linear' }, Buffer.alloc(250_000, 1)), 413, 'payload_too_large');
    expect((await json('GET', '/api/v1/models/sizes')).json().latestVersion).toBeNull();
  });

  it('refuses a client digest that does not match the upload, storing nothing', async () => {
    await json('POST', '/api/v1/models', { name: 'digests', task: 'regression' });
    const res = await upload('digests', { format: 'sextant-linear', digest: 'b'.repeat(64) }, '{"w": 1}');
    expectError(res, 400, 'invalid_argument', /digest mismatch/);
    expect((await json('GET', '/api/v1/models/digests')).json().latestVersion).toBeNull();
    const blobs = fs.readdirSync(path.join(t.home, 'artifacts', 'sha256'));
    const stored = blobs.flatMap((d) => fs.readdirSync(path.join(t.home, 'artifacts', 'sha256', d)));
    expect(stored).not.toContain(createHash('sha256').update('{"w": 1}').digest('hex'));
    const ok = await upload('digests', { format: 'sextant-linear', digest: createHash('sha256').update('{"w": 1}').digest('hex') }, '{"w": 1}');
    expect(ok.statusCode).toBe(201);
  });

  it('validates upload metadata and part order', async () => {
    expectError(await upload('digests', { format: 'pickle' }, 'x'), 400, 'invalid_argument', /metadata\.format/);
    expectError(await upload('digests', '{not json', 'x'), 400, 'invalid_argument', /metadata/);
    expectError(await upload('digests', { format: 'onnx' }, 'x', { metadataFirst: false }), 400, 'invalid_argument', /before the "file" part/);
    expectError(await json('POST', '/api/v1/models/digests/versions', { format: 'onnx' }), 415, 'unsupported_media_type', /multipart/);
  });

  it('reports a re-registered digest as a warning, not an error', async () => {
    const first = await upload('digests', { format: 'sextant-linear' }, '{"w": 1}');
    expect(first.statusCode).toBe(201);
    expect(first.json().warnings[0]).toMatch(/already registered/);
  });

  it('paginates model lists with an opaque token and rejects a forged one', async () => {
    const page = await json('GET', '/api/v1/models?pageSize=2');
    expect(page.json().models).toHaveLength(2);
    const next = await json('GET', `/api/v1/models?pageSize=2&pageToken=${page.json().nextPageToken}`);
    expect(next.json().models[0].name > page.json().models[1].name).toBe(true);
    expectError(await json('GET', '/api/v1/models?pageToken=abc'), 400, 'invalid_argument', /pageToken/);
    expectError(await json('GET', '/api/v1/models?pageSize=0'), 400, 'invalid_argument', /pageSize/);
  });

  it('serves history and rollback over HTTP', async () => {
    await upload('credit', { format: 'onnx' }, fs.readFileSync(path.join(FIXTURES, 'linear-classifier.onnx')));
    expect((await json('PUT', '/api/v1/models/credit/aliases/champion', { version: 2, reason: 'better' })).json()).toMatchObject({ version: 2, previousVersion: 1 });
    expect((await json('POST', '/api/v1/models/credit/rollback', { alias: 'champion' })).json().version).toBe(1);
    const h = (await json('GET', '/api/v1/models/credit/history?alias=champion')).json();
    expect(h.periods.map((p: { version: number }) => p.version)).toEqual([1, 2, 1]);
    expectError(await json('POST', '/api/v1/models/credit/rollback', {}), 400, 'invalid_argument', /body\.alias/);
  });

  it('publishes an OpenAPI document generated from the contracts', async () => {
    const doc = (await json('GET', '/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/models', '/api/v1/models/{name}/versions', '/api/v1/audit/verify', '/healthz']));
    const create = doc.paths['/api/v1/models'].post;
    const ref = create.requestBody.content['application/json'].schema.$ref as string;
    expect(doc.components.schemas[ref.split('/').pop()!].properties.task.enum).toEqual(['binary-classification', 'multiclass-classification', 'regression']);
    expect(create.responses['201']).toBeTruthy();
  });

  it('reports health and readiness', async () => {
    expect((await json('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await json('GET', '/readyz')).json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, artifacts: { ok: true } } });
  });

  it('verifies the audit trail over HTTP and filters it', async () => {
    expect((await json('GET', '/api/v1/audit/verify')).json()).toMatchObject({ ok: true });
    const byDana = (await json('GET', '/api/v1/audit?actor=dana')).json();
    expect(byDana.events.map((e: { action: string }) => e.action)).toEqual(['model.create']);
    expectError(await json('GET', '/api/v1/audit?since=yesterday'), 400, 'invalid_argument', /query\.since/);
  });
});

describe('a database that is down or locked', () => {
  it('answers 503 with a clear message and writes nothing', async () => {
    const down = await testApp();
    await down.app.database.close();
    const res = await down.server.inject({ method: 'POST', url: '/api/v1/models', payload: { name: 'x', task: 'regression' } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/database is unavailable/) });
    const ready = await down.server.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    await down.close();
  });

  it('answers 503 while another process holds the SQLite write lock', async () => {
    const locked = await testApp();
    const { default: Sqlite } = await import('better-sqlite3');
    const other = new Sqlite(path.join(locked.home, 'sextant.db'));
    other.exec('BEGIN EXCLUSIVE');
    const res = await locked.server.inject({ method: 'POST', url: '/api/v1/models', payload: { name: 'blocked', task: 'regression' } });
    other.exec('ROLLBACK');
    other.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toMatch(/SQLITE_BUSY/);
    const after = await locked.server.inject({ method: 'GET', url: '/api/v1/models/blocked' });
    expect(after.statusCode).toBe(404);
    await locked.close();
  }, 20_000);
});
