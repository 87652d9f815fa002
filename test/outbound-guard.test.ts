import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/shared/app-error.js';
import { outboundGuard } from '../src/shared/outbound-guard.js';
import { bytes, multipart, tempDir, testApp, type TestApp } from './helpers/app.js';
import { fakeRemote } from './helpers/fake-remote.js';

const who = { actor: 'test' };

/** A server on 127.0.0.1 answering every request with `answer`, counting what it got. */
async function server(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  let hits = 0;
  const s = http.createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  return { port, url: `http://127.0.0.1:${port}/`, hits: () => hits, close: () => new Promise<void>((r) => s.close(() => r())) };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('the outbound guard', () => {
  it('refuses non-public addresses and non-http schemes when saved, naming the field', async () => {
    const none = outboundGuard([]);
    const cases: [string, RegExp][] = [
      ['http://169.254.169.254/latest/meta-data/', /link-local/],
      ['http://10.1.2.3/hook', /private/],
      ['http://172.20.0.1/hook', /private/],
      ['https://192.168.0.10/hook', /private/],
      ['http://127.0.0.1:8080/api', /loopback/],
      ['http://[::1]:8080/', /loopback/],
      ['http://[::ffff:169.254.169.254]/', /link-local/],
      ['http://[fd00::1]/', /private/],
      ['http://0.0.0.0:8080/', /unspecified/],
      ['http://2130706433/', /loopback/],
      ['http://localhost:9/', /localhost resolves to .* loopback/],
      ['file:///etc/passwd', /scheme file: is refused/],
      ['gopher://example.com/', /scheme gopher: is refused/],
    ];
    for (const [url, message] of cases) {
      const e = await refusal(none.check(url, 'body.url'));
      expect(e.code, url).toBe('invalid_argument');
      expect(e.message, url).toMatch(/^body\.url: /);
      expect(e.message, url).toMatch(message);
      expect(e.details).toEqual({ field: 'body.url' });
    }
    await none.check('http://93.184.216.34/hook', 'body.url');
    await none.check('https://[2606:4700::1111]/hook', 'body.url');
  });

  it('allows what SEXTANT_ALLOWED_HOSTS lists: loopback, addresses, ranges, names', async () => {
    await outboundGuard(['loopback']).check('http://localhost:9/', 'url');
    await outboundGuard(['loopback']).check('http://127.0.0.2/', 'url');
    await outboundGuard(['loopback']).check('http://[::1]/', 'url');
    await outboundGuard(['10.0.0.0/8']).check('http://10.9.8.7/', 'url');
    await outboundGuard(['169.254.169.254']).check('http://169.254.169.254/', 'url');
    await outboundGuard(['scorer.internal']).check('http://scorer.internal/', 'url');
    await outboundGuard(['*.corp.example']).check('http://a.b.corp.example/', 'url');
    await refusal(outboundGuard(['loopback']).check('http://169.254.169.254/', 'url'));
    await refusal(outboundGuard(['10.0.0.0/8']).check('http://192.168.1.1/', 'url'));
  });

  it('checks at connect time too: a name resolving to a refused address is never connected to', async () => {
    const target = await server((_req, res) => res.writeHead(204).end());
    const err = await outboundGuard([]).fetch(`http://localhost:${target.port}/`, { method: 'POST', body: '{}' }).catch((e: Error) => e);
    expect(String(err)).toMatch(/localhost .* is loopback; outbound calls there are refused/);
    expect(target.hits()).toBe(0);
    const ok = await outboundGuard(['loopback']).fetch(`http://localhost:${target.port}/`, { method: 'POST', body: '{}' });
    expect(ok.status).toBe(204);
    expect(target.hits()).toBe(1);
    await target.close();
  });

  it('follows redirects only to addresses it may reach', async () => {
    const final = await server((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    const toMetadata = await server((_req, res) => res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const toIpv6Loopback = await server((_req, res) => res.writeHead(302, { location: `http://[::1]:${final.port}/` }).end());
    const toFinal = await server((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${final.port}/done` }).end());
    const guard = outboundGuard(['127.0.0.1']);
    await expect(guard.fetch(toMetadata.url, { method: 'POST', body: '{}' })).rejects.toThrow(/redirect to 169\.254\.169\.254 is link-local/);
    await expect(guard.fetch(toIpv6Loopback.url, { method: 'POST', body: '{}' })).rejects.toThrow(/redirect to ::1 is loopback/);
    expect(final.hits()).toBe(0);
    const res = await guard.fetch(toFinal.url, { method: 'POST', body: '{}' });
    expect(await res.json()).toEqual({ ok: true });
    expect(final.hits()).toBe(1);
    await Promise.all([final, toMetadata, toIpv6Loopback, toFinal].map((s) => s.close()));
  });
});

describe('webhook and remote model URLs', () => {
  let t: TestApp;
  let remote: Awaited<ReturnType<typeof fakeRemote>>;
  beforeAll(async () => {
    t = await testApp();
    remote = await fakeRemote();
    await t.app.registry.models.create({ name: 'far', task: 'regression' }, who);
  });
  afterAll(async () => {
    await t?.close();
    await remote?.close();
  });

  it('refuses a webhook to cloud metadata or a private address with 400 naming body.url', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/iam', 'http://10.0.0.5/hook', 'ftp://example.com/x']) {
      const res = await t.server.inject({ method: 'POST', url: '/api/v1/channels', payload: { name: 'meta', url, secret: 'a-secret-of-sixteen+' } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/body\.url/) });
    }
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/channels' })).json().channels).toEqual([]);
    // Loopback is allowed by default, so the quick start's local receivers work.
    const local = await t.server.inject({ method: 'POST', url: '/api/v1/channels', payload: { name: 'local', url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen+' } });
    expect(local.statusCode, local.body).toBe(201);
  });

  it('refuses to register a remote model pointing at a refused address, storing no version', async () => {
    const artifact = JSON.stringify({ url: 'http://169.254.169.254/latest/meta-data/', protocol: 'mlflow', features: ['x'] });
    const { body, contentType } = multipart({ format: 'remote' }, artifact);
    const res = await t.server.inject({ method: 'POST', url: '/api/v1/models/far/versions', payload: body, headers: { 'content-type': contentType } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message).toMatch(/file\.url: the address 169\.254\.169\.254 is link-local/);
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/models/far' })).json().latestVersion).toBeNull();
    const ok = await t.app.registry.versions.register('far', bytes(JSON.stringify({ url: remote.url, protocol: 'mlflow', features: ['x'] })), { format: 'remote', alias: 'champion' }, who);
    expect(ok.version).toBe(1);
  });

  it('refuses at connect time what the configuration no longer allows: no call leaves', async () => {
    const home = tempDir();
    const hook = await server((_req, res) => res.writeHead(204).end());
    const allowed = await testApp({ home });
    await allowed.app.registry.models.create({ name: 'far', task: 'regression' }, who);
    await allowed.app.registry.versions.register('far', bytes(JSON.stringify({ url: remote.url, protocol: 'mlflow', features: ['x'] })), { format: 'remote', alias: 'champion' }, who);
    await allowed.app.serving.deployments.create({ name: 'far', model: 'far', alias: 'champion' }, who);
    await allowed.app.monitoring.notifications.createChannel({ name: 'ops', url: hook.url, secret: 'a-secret-of-sixteen+' });
    await allowed.close();

    const strict = await testApp({ home, env: { SEXTANT_ALLOWED_HOSTS: 'scorer.internal' } });
    await strict.app.serving.live.refresh();
    const calls = remote.calls();
    const res = await strict.server.inject({ method: 'POST', url: '/v1/deployments/far/invocations', payload: { instances: [[1]] } });
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json().error.message).toMatch(/127\.0\.0\.1 is loopback; outbound calls there are refused/);
    expect(remote.calls()).toBe(calls);
    await strict.app.monitoring.notifications.enqueue({ type: 'deployment.slo_rollback', time: new Date().toISOString(), subject: 'far', data: {} });
    await strict.app.monitoring.notifications.deliverDue();
    const [delivery] = await strict.app.monitoring.notifications.deliveries('ops');
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/is loopback; outbound calls there are refused/) });
    expect(hook.hits()).toBe(0);
    await strict.close();
    await hook.close();
    fs.rmSync(home, { recursive: true, force: true });
  });
});
