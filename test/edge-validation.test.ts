import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toAppError } from '../src/server/errors.js';
import { multipart, testApp, type TestApp } from './helpers/app.js';

const ONNX = path.join(import.meta.dirname, 'fixtures', 'onnx', 'per-feature.onnx');

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
  const json = (method: string, url: string, body: unknown) =>
    t.server.inject({ method: method as 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect((await json('POST', '/api/v1/models', { name: 'credit', task: 'binary-classification' })).statusCode).toBe(201);
  const { body, contentType } = multipart({ format: 'onnx', alias: 'champion' }, fs.readFileSync(ONNX));
  expect((await t.server.inject({ method: 'POST', url: '/api/v1/models/credit/versions', payload: body, headers: { 'content-type': contentType } })).statusCode).toBe(201);
  expect((await json('POST', '/api/v1/deployments', { name: 'credit', model: 'credit', alias: 'champion' })).statusCode).toBe(201);
});
afterAll(async () => t?.close());

function send(method: string, url: string, payload?: string) {
  return t.server.inject({ method: method as 'POST', url, payload, headers: payload === undefined ? {} : { 'content-type': 'application/json' } });
}

/** What a refused request must leave as it was: the audit chain's head and the deployment. */
async function state() {
  const audit = (await send('GET', '/api/v1/audit?pageSize=1')).json() as { events: { hash: string }[] };
  const deployment = (await send('GET', '/api/v1/deployments/credit')).json() as unknown;
  const models = (await send('GET', '/api/v1/models')).json() as { models: unknown[] };
  return { head: audit.events[0]?.hash, deployment, models: models.models.length };
}

async function expect400(res: { statusCode: number; json(): unknown }, message: RegExp) {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(400);
  const error = (res.json() as { error: { code: string; message: string; details: { fields: { field: string }[] } } }).error;
  expect(error.code).toBe('invalid_argument');
  expect(error.message).toMatch(message);
  return error;
}

describe('validation at the edge', () => {
  it('answers a promote whose reason is a number with 400 naming body.reason, changing nothing', async () => {
    const before = await state();
    for (const name of ['credit', 'x']) {
      const error = await expect400(await send('POST', `/api/v1/deployments/${name}/promote`, '{"reason":5}'), /body\.reason: expected string/);
      expect(error.details.fields).toEqual([{ field: 'body.reason', message: expect.stringMatching(/^expected string/) }]);
    }
    expect(await state()).toEqual(before);
  });

  it('answers an abort with an unknown key with 400 naming the key', async () => {
    const before = await state();
    await expect400(await send('POST', '/api/v1/deployments/credit/abort', '{"bogus":1}'), /body\.bogus: unknown key/);
    await expect400(await send('POST', '/api/v1/deployments/x/abort', '{"bogus":1}'), /body\.bogus/);
    expect(await state()).toEqual(before);
  });

  it('answers a DELETE whose reason is 2,000 characters with 400 naming query.reason, deleting nothing', async () => {
    const before = await state();
    const reason = 'r'.repeat(2000);
    await expect400(await send('DELETE', `/api/v1/models/credit?reason=${reason}`), /query\.reason/);
    await expect400(await send('DELETE', `/api/v1/deployments/credit?reason=${reason}`), /query\.reason/);
    await expect400(await send('DELETE', `/api/v1/models/credit/aliases/champion?reason=${reason}`), /query\.reason/);
    expect(await state()).toEqual(before);
  });

  it('refuses query keys a route does not name, also on routes that take no query', async () => {
    await expect400(await send('GET', '/api/v1/models?colour=red'), /query\.colour: unknown key/);
    await expect400(await send('DELETE', '/api/v1/deployments/credit?force=1'), /query\.force/);
    await expect400(await send('GET', '/api/v1/deployments?pageSize=1'), /query\.pageSize/);
    await expect400(await send('GET', '/api/v1/jobs?pageSize=lots'), /query\.pageSize/);
    await expect400(await send('GET', '/api/v1/alerts?status=sleeping'), /query\.status/);
    await expect400(await send('GET', '/api/v1/resolve'), /query\.ref/);
    expect((await send('GET', '/api/v1/deployments/credit')).statusCode).toBe(200);
  });

  it('parses a missing body as {} and a JSON null as a wrong type', async () => {
    const promote = await send('POST', '/api/v1/deployments/credit/promote');
    expect(promote.statusCode, promote.body).toBe(409);
    await expect400(await send('POST', '/api/v1/deployments/credit/promote', 'null'), /body: expected object, received null/);
    await expect400(await send('PUT', '/api/v1/models/credit/aliases/champion', '[1]'), /body: expected object/);
  });

  it('hands handlers parsed values: defaults applied and numbers coerced', async () => {
    const logs = await send('GET', '/api/v1/jobs?pageSize=3&status=queued');
    expect(logs.statusCode, logs.body).toBe(200);
    const page = await send('GET', '/api/v1/models?pageSize=1');
    expect((page.json() as { models: unknown[] }).models).toHaveLength(1);
  });

  it('refuses to delete an alias a deployment follows, which would leave it nothing to serve', async () => {
    const before = await state();
    const res = await send('DELETE', '/api/v1/models/credit/aliases/champion');
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toMatch(/followed by deployment\(s\) credit/);
    expect(await state()).toEqual(before);
    expect((await send('GET', '/v2/health/ready')).statusCode).toBe(200);
  });

  it('maps a ZodError thrown anywhere to invalid_argument naming the path', () => {
    const thrown = (() => {
      try {
        z.object({ spec: z.object({ weight: z.number() }) }).parse({ spec: { weight: 'heavy' } });
      } catch (err) {
        return err;
      }
    })();
    const e = toAppError(thrown);
    expect(e.code).toBe('invalid_argument');
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/spec\.weight: expected number, received string/);
  });

  it('keeps the message short when a body is wrong everywhere', async () => {
    const error = await expect400(await send('POST', '/api/v1/deployments/credit/feedback', JSON.stringify(Array.from({ length: 500 }, () => ({ requestId: 1 })))), /and \d+ more/);
    expect(error.details.fields.length).toBeLessThanOrEqual(20);
    expect(error.message.length).toBeLessThan(4000);
  });
});

describe('bytes that are not HTTP', () => {
  let base: URL;
  beforeAll(async () => {
    base = new URL(await t.server.listen({ port: 0, host: '127.0.0.1' }));
  });

  /** Writes raw bytes on one connection and reads everything until the server closes it. */
  async function raw(text: string): Promise<string> {
    const net = await import('node:net');
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(base.port), base.hostname, () => socket.write(text));
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
  }

  it('answers with the error shape, naming no stack, when the request line is malformed', async () => {
    const got = await raw('GET /api/v1/models/a b HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(got).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
    expect(body.error).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/not valid HTTP/), requestId: expect.any(String) });
  });

  it('answers a request before the garbage first, in order, instead of cutting it off', async () => {
    // A DELETE body without Content-Length is not part of the request: it is a second, malformed one.
    const got = await raw('DELETE /api/v1/channels/ghost HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n{"unexpected":true}');
    const answers = got.split(/(?=HTTP\/1\.1 \d{3} )/);
    expect(answers.map((a) => a.slice(0, 12))).toEqual(['HTTP/1.1 404', 'HTTP/1.1 400']);
    expect(answers[0]).toMatch(/channel ghost not found/);
  });
});
