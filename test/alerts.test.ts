import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/monitoring/index.js';
import { testApp, type TestApp } from './helpers/app.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver that fails the first `failures` requests. */
async function receiver(failures = 0) {
  const got: Received[] = [];
  let seen = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen++;
      got.push({ headers: req.headers, body });
      res.writeHead(seen <= failures ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('alert channels and the delivery log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t?.close());

  const event = { type: 'deployment.slo_rollback', time: '2026-11-27T00:00:00.000Z', subject: 'fraud', data: { version: 3, reason: 'p99 12 ms > 10 ms' } };

  it('signs webhooks as Standard Webhooks do and delivers events matching the channel prefix', async () => {
    const hook = await receiver();
    const secret = 'whsec_' + Buffer.from('a-secret-of-sixteen+').toString('base64');
    const created = await t.server.inject({ method: 'POST', url: '/api/v1/channels', payload: { name: 'ops', url: hook.url, secret, events: 'deployment.' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.body).not.toContain(secret);
    await t.app.events.publish(event);
    await t.app.events.publish({ ...event, type: 'alias.moved' });
    for (let i = 0; i < 50 && hook.got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    expect(hook.got).toHaveLength(1);
    const { headers, body } = hook.got[0]!;
    expect(JSON.parse(body)).toEqual(event);
    const expected = signWebhook(secret, String(headers['webhook-id']), Number(headers['webhook-timestamp']), body);
    expect(headers['webhook-signature']).toBe(expected);
    // Independent check of the scheme: HMAC-SHA256 over "id.timestamp.body" with the decoded key.
    const { createHmac } = await import('node:crypto');
    const mac = createHmac('sha256', Buffer.from('a-secret-of-sixteen+')).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${mac}`);
    const log = (await t.server.inject({ method: 'GET', url: '/api/v1/deliveries?channel=ops' })).json().deliveries;
    expect(log).toEqual([expect.objectContaining({ channel: 'ops', eventType: 'deployment.slo_rollback', status: 'delivered', attempts: 1, lastCode: 204 })]);
    await hook.close();
  });

  it('retries with doubling waits and records every outcome; sends Slack-shaped payloads', async () => {
    const slack = await receiver(2);
    await t.app.monitoring.notifications.createChannel({ name: 'chat', kind: 'slack', url: slack.url, events: 'deployment.' });
    await t.app.monitoring.notifications.enqueue({ ...event, subject: 'other' });
    await t.app.monitoring.notifications.deliverDue();
    let d = (await t.app.monitoring.notifications.deliveries('chat'))[0]!;
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastCode: 500, lastError: 'HTTP 500' });
    const wait1 = new Date(d.nextAttemptAt!).getTime() - new Date(d.updatedAt).getTime();
    expect(wait1).toBeGreaterThanOrEqual(900);
    await new Promise((r) => setTimeout(r, 1100));
    await t.app.monitoring.notifications.deliverDue();
    d = (await t.app.monitoring.notifications.deliveries('chat'))[0]!;
    expect(d).toMatchObject({ status: 'pending', attempts: 2 });
    expect(new Date(d.nextAttemptAt!).getTime() - new Date(d.updatedAt).getTime()).toBeGreaterThanOrEqual(1900);
    await new Promise((r) => setTimeout(r, 2100));
    await t.app.monitoring.notifications.deliverDue();
    d = (await t.app.monitoring.notifications.deliveries('chat'))[0]!;
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastCode: 204 });
    expect(JSON.parse(slack.got[2]!.body)).toEqual({ text: 'Sextant deployment.slo_rollback on other: p99 12 ms > 10 ms' });
    expect(slack.got[2]!.headers['webhook-signature']).toBeUndefined();
    await slack.close();
  }, 15_000);

  it('refuses unsigned webhooks and bad URLs with 400 naming the field, duplicates with 409', async () => {
    const noSecret = await t.server.inject({ method: 'POST', url: '/api/v1/channels', payload: { name: 'x', url: 'http://127.0.0.1:9/x' } });
    expect(noSecret.statusCode).toBe(400);
    expect(noSecret.json().error.message).toMatch(/body\.secret/);
    const badUrl = await t.server.inject({ method: 'POST', url: '/api/v1/channels', payload: { name: 'y', kind: 'slack', url: 'ftp://x' } });
    expect(badUrl.json().error.message).toMatch(/body\.url/);
    const dup = await t.server.inject({ method: 'POST', url: '/api/v1/channels', payload: { name: 'chat', kind: 'slack', url: 'http://127.0.0.1:9/x' } });
    expect(dup.statusCode).toBe(409);
  });
});
