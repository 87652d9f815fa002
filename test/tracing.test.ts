import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTracingConfig } from '../src/config/tracing-config.js';
import { AppError } from '../src/shared/app-error.js';
import { waitFor } from '../src/shared/wait-for.js';
import { tracingOn } from '../src/shared/tracing.js';
import { bytes, testApp, type TestApp } from './helpers/app.js';
import { fakeRemote } from './helpers/fake-remote.js';

const who = { actor: 'test' };

/** A span as OTLP/JSON carries it, attributes flattened. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: unknown;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}
const value = (v: AnyValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue ?? v.arrayValue?.values?.map(value)));
const flatten = (attrs: { key: string; value: AnyValue }[] = []) => Object.fromEntries(attrs.map((a) => [a.key, value(a.value)]));

/** A real OTLP/HTTP receiver: takes the exporter's POST /v1/traces (JSON bodies) and keeps the spans. */
async function otlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  const contentTypes: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url}`);
      contentTypes.push(String(req.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: { key: string; value: AnyValue }[] }; scopeSpans: { spans: (Omit<ReceivedSpan, 'attributes' | 'service'> & { attributes: { key: string; value: AnyValue }[] })[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        const service = flatten(rs.resource.attributes)['service.name'];
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, attributes: flatten(s.attributes), service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    spans,
    paths,
    contentTypes,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A webhook receiver that keeps each request's headers. */
async function webhookReceiver() {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(req.headers);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = (spanId: string) => `00-${TRACE_ID}-${spanId}-01`;
const parentOf = (header: string | string[] | undefined) => /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(header));

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  let otlp: Awaited<ReturnType<typeof otlpReceiver>>;
  let remote: Awaited<ReturnType<typeof fakeRemote>>;
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    otlp = await otlpReceiver();
    remote = await fakeRemote();
    hooks = await webhookReceiver();
    t = await testApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'sextant-test', OTEL_BSP_SCHEDULE_DELAY: '50', SEXTANT_RUN_JOBS: 'false' } });
    await t.app.registry.models.create({ name: 'r', task: 'regression' }, who);
    const artifact = JSON.stringify({ format: 'remote', url: remote.url, protocol: 'mlflow', features: ['x'] });
    await t.app.registry.versions.register('r', bytes(artifact), { format: 'remote', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'r', model: 'r', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    await t.app.monitoring.notifications.createChannel({ name: 'hook', kind: 'webhook', url: hooks.url, secret: 'a-secret-of-16-chars', events: 'retrain.' });
    // Listening, so inference takes the server's direct path as in production.
    base = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([otlp?.close(), remote?.close(), hooks?.close()]);
  });

  const spansOf = (traceId: string) => otlp.spans.filter((s) => s.traceId === traceId);
  const waitForSpan = (name: string, traceId: string) => waitFor(`span ${name}`, async () => spansOf(traceId).find((s) => s.name === name), 10_000);

  it('continues the caller\'s trace through inference: request, routing, runtime, the remote model and the log enqueue', async () => {
    expect(tracingOn()).toBe(true);
    const caller = 'a1b2c3d4e5f60718';
    const res = await fetch(`${base}/v2/models/r/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: traceparent(caller) },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [2, 1], datatype: 'FP64', data: [1, 2] }] }),
    });
    expect(res.status).toBe(200);

    const server = await waitForSpan('POST /v2/models/:name/infer', TRACE_ID);
    expect(server.parentSpanId).toBe(caller);
    expect(server.kind).toBe(2); // SERVER
    expect(server.service).toBe('sextant-test');
    expect(server.attributes['http.response.status_code']).toBe(200);
    expect(server.attributes['sextant.deployment']).toBe('r');
    const route = await waitForSpan('sextant.route', TRACE_ID);
    const predict = await waitForSpan('sextant.predict', TRACE_ID);
    const client = await waitForSpan('POST', TRACE_ID);
    const enqueue = await waitForSpan('sextant.log.enqueue', TRACE_ID);
    expect(route.parentSpanId).toBe(server.spanId);
    expect(route.attributes).toMatchObject({ 'sextant.deployment': 'r', 'sextant.model': 'r', 'sextant.version': 1 });
    expect(predict.parentSpanId).toBe(server.spanId);
    expect(predict.attributes).toMatchObject({ 'sextant.runtime': 'remote', 'sextant.rows': 2 });
    expect(client.parentSpanId).toBe(predict.spanId);
    expect(client.kind).toBe(3); // CLIENT
    expect(client.attributes['url.full']).toBe(remote.url);
    expect(enqueue.parentSpanId).toBe(server.spanId);

    // The remote model got the client span's traceparent: its spans join the caller's trace.
    const sent = parentOf(remote.headers().at(-1)!.traceparent);
    expect(sent?.[1]).toBe(TRACE_ID);
    expect(sent?.[2]).toBe(client.spanId);
    expect(otlp.paths.every((p) => p === 'POST /v1/traces')).toBe(true);
    expect(otlp.contentTypes.every((c) => c.startsWith('application/json'))).toBe(true);
  });

  it('continues the trace on the Fastify routes too (a CSV body is not taken by the direct path)', async () => {
    const traceId = 'cccccccccccccccccccccccccccccccc';
    const caller = '1111111111111111';
    const res = await fetch(`${base}/v1/deployments/r/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv', traceparent: `00-${traceId}-${caller}-01` }, body: 'x\n1\n' });
    expect(res.status).toBe(200);
    const server = await waitForSpan('POST /v1/deployments/:name/invocations', traceId);
    expect(server.parentSpanId).toBe(caller);
    const predict = await waitForSpan('sextant.predict', traceId);
    expect(predict.parentSpanId).toBe(server.spanId);
    const client = await waitForSpan('POST', traceId);
    expect(client.parentSpanId).toBe(predict.spanId);
    expect(parentOf(remote.headers().at(-1)!.traceparent)?.[2]).toBe(client.spanId);
  });

  it('traces control-plane writes through the write seam, and webhooks continue the trace of the write that emitted their event', async () => {
    const traceId = 'aaaabbbbccccddddeeeeffff00001111';
    const caller = '0102030405060708';
    const res = await fetch(`${base}/api/v1/models/r/retrain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${caller}-01` },
      body: '{}',
    });
    expect(res.status).toBe(202);
    const server = await waitForSpan('POST /api/v1/models/:name/retrain', traceId);
    expect(server.parentSpanId).toBe(caller);
    expect(server.attributes['http.response.status_code']).toBe(202);
    const write = await waitFor('the write span', async () => spansOf(traceId).find((s) => s.name.startsWith('sextant.write')), 10_000);
    expect(write.parentSpanId).toBe(server.spanId);
    expect(write.attributes['sextant.events']).toEqual(['retrain.queued']);
    expect(write.attributes['sextant.permission']).toBe('deployer@r');

    const delivered = await waitFor('the webhook', async () => hooks.requests.at(-1), 10_000);
    const hook = await waitForSpan('POST', traceId);
    expect(hook.kind).toBe(3);
    expect(hook.attributes['sextant.event.type']).toBe('retrain.queued');
    const sent = parentOf(delivered.traceparent);
    expect(sent?.[1]).toBe(traceId);
    expect(sent?.[2]).toBe(hook.spanId);
    // The delivery's span descends from the write that emitted the event.
    expect(hook.parentSpanId).toBe(write.spanId);
  });

  it('starts a trace of its own for a request without traceparent, and marks server errors', async () => {
    const before = otlp.spans.length;
    const res = await fetch(`${base}/api/v1/models/nope`, { headers: { traceparent: 'not a traceparent' } });
    expect(res.status).toBe(404);
    const span = await waitFor('the 404 span', async () => otlp.spans.slice(before).find((s) => s.name === 'GET /api/v1/models/:name'), 10_000);
    expect(span.parentSpanId ?? '').toBe('');
    expect(span.traceId).not.toBe(TRACE_ID);
    expect(span.attributes['sextant.error.code']).toBe('not_found');
    expect(span.attributes['http.response.status_code']).toBe(404);
  });
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let t: TestApp;
  let remote: Awaited<ReturnType<typeof fakeRemote>>;
  beforeAll(async () => {
    remote = await fakeRemote();
    t = await testApp();
    await t.app.registry.models.create({ name: 'r', task: 'regression' }, who);
    await t.app.registry.versions.register('r', bytes(JSON.stringify({ format: 'remote', url: remote.url, protocol: 'mlflow', features: ['x'] })), { format: 'remote', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'r', model: 'r', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => {
    await t?.close();
    await remote?.close();
  });

  it('loads no SDK, makes no spans and sends no traceparent', async () => {
    expect(t.app.tracing).toBeNull();
    expect(tracingOn()).toBe(false);
    const res = await t.server.inject({ method: 'POST', url: '/v1/deployments/r/invocations', headers: { traceparent: traceparent('a1b2c3d4e5f60718') }, payload: { instances: [[1]] } });
    expect(res.statusCode).toBe(200);
    expect(remote.headers().at(-1)!.traceparent).toBeUndefined();
  });
});

describe('tracing configuration', () => {
  it('reads the standard OTEL_* variables', () => {
    expect(loadTracingConfig({}).endpoint).toBeUndefined();
    // compose passes an unset variable on as empty
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).endpoint).toBeUndefined();
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).endpoint).toBe('http://collector:4318/v1/traces');
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp/' }).endpoint).toBe('http://collector:4318/otlp/v1/traces');
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces' }).endpoint).toBe('https://b/traces');
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' }).endpoint).toBeUndefined();
    const c = loadTracingConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s%3Dcret,X-Team=ml', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    expect(c.headers).toEqual({ 'api-key': 's=cret', 'x-team': 'ml' });
    expect(c.sampler).toEqual({ root: 'ratio', ratio: 0.25, parentBased: true });
    expect(c.serviceName).toBe('sextant');
    expect(loadTracingConfig({ OTEL_TRACES_SAMPLER: 'always_on' }).sampler).toEqual({ root: 'always_on', ratio: 1, parentBased: false });
  });

  it('refuses values it cannot honour, naming the variable', () => {
    const refused = (env: NodeJS.ProcessEnv) => {
      try {
        loadTracingConfig(env);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        return (err as AppError).message;
      }
      return 'accepted';
    };
    expect(refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(refused({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL.*4318/);
    expect(refused({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toMatch(/OTEL_TRACES_SAMPLER/);
    expect(refused({ OTEL_TRACES_SAMPLER_ARG: '2' })).toMatch(/OTEL_TRACES_SAMPLER_ARG/);
    expect(refused({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toMatch(/OTEL_EXPORTER_OTLP_HEADERS/);
    expect(refused({ OTEL_BSP_SCHEDULE_DELAY: 'soon' })).toMatch(/OTEL_BSP_SCHEDULE_DELAY/);
  });
});
