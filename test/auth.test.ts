import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { assertSafeBinding } from '../src/server/index.js';
import { bytes, testApp, type TestApp } from './helpers/app.js';

describe('bearer-token authentication', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await testApp({ auth: true });
    admin = (await t.app.tokens.create({ name: 'root', role: 'admin' }, { actor: 'local:test' })).token;
  });
  afterAll(async () => t?.close());

  const call = (method: string, url: string, token?: string, payload?: unknown) =>
    t.server.inject({ method: method as 'GET', url, payload: payload as never, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('leaves health and the OpenAPI document public and guards everything else', async () => {
    expect((await call('GET', '/healthz')).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/openapi.json')).statusCode).toBe(200);
    const res = await call('GET', '/api/v1/models');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
    expect((await call('GET', '/api/v1/models', 'sxt_wrong')).statusCode).toBe(401);
  });

  it('enforces roles: viewers read, editors write models, admins manage tokens', async () => {
    const editor = (await call('POST', '/api/v1/tokens', admin, { name: 'ci', role: 'editor' })).json();
    const viewer = (await call('POST', '/api/v1/tokens', admin, { name: 'dash', role: 'viewer' })).json();
    expect(editor.token).toMatch(/^sxt_/);
    expect((await call('POST', '/api/v1/models', editor.token, { name: 'm', task: 'regression' })).statusCode).toBe(201);
    expect((await call('GET', '/api/v1/models/m', viewer.token)).statusCode).toBe(200);
    const denied = await call('POST', '/api/v1/models', viewer.token, { name: 'n', task: 'regression' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toMatch(/role viewer/);
    expect((await call('POST', '/api/v1/tokens', editor.token, { name: 'x' })).statusCode).toBe(403);
    const list = await call('GET', '/api/v1/tokens', admin);
    expect(list.body).not.toContain(editor.token);
    expect(list.json().tokens.map((x: { name: string }) => x.name)).toEqual(['root', 'ci', 'dash']);
    const audit = (await call('GET', '/api/v1/audit?target=model:m', viewer.token)).json();
    expect(audit.events[0].actor).toBe('token:ci');
    expect((await call('DELETE', '/api/v1/tokens/ci', admin)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/models', editor.token)).statusCode).toBe(401);
  });

  it('guards inference over a socket too (the direct path) with the same answers', async () => {
    const model = { format: 'sextant-linear', features: ['x'], link: 'identity', coefficients: [[2]], intercept: [1] };
    await t.app.registry.models.create({ name: 'lin', task: 'regression' }, { actor: 'test' });
    await t.app.registry.versions.register('lin', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, { actor: 'test' });
    await t.app.serving.deployments.create({ name: 'lin', model: 'lin', alias: 'champion' }, { actor: 'test' });
    await t.app.serving.live.refresh();
    const url = `${await t.server.listen({ port: 0, host: '127.0.0.1' })}/v1/deployments/lin/invocations`;
    const score = (token?: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: '{"instances": [[3]]}' });
    const none = await score();
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/missing bearer token/);
    expect((await score('sxt_wrong')).status).toBe(401);
    const viewer = (await call('POST', '/api/v1/tokens', admin, { name: 'scorer', role: 'viewer' })).json();
    const ok = await score(viewer.token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ predictions: [7] });
  });
});

describe('binding', () => {
  it('refuses a non-loopback address without auth, and allows it with auth', () => {
    const open = loadConfig({ env: { SEXTANT_HOST: '0.0.0.0' } });
    expect(() => assertSafeBinding(open)).toThrow(/refusing to listen on 0.0.0.0 without authentication/);
    expect(() => assertSafeBinding(loadConfig({ env: { SEXTANT_HOST: '0.0.0.0', SEXTANT_AUTH: 'on' } }))).not.toThrow();
    expect(() => assertSafeBinding(loadConfig({ env: { SEXTANT_HOST: '127.0.0.1' } }))).not.toThrow();
    expect(() => assertSafeBinding(loadConfig({ env: { SEXTANT_HOST: '::1' } }))).not.toThrow();
  });
});
