import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { AppError } from '../shared/app-error.js';
import { newRequestId } from '../shared/ids.js';
import { authenticate } from './auth.js';
import { sendError } from './errors.js';
import { buildOpenApi } from './openapi.js';
import type { RouteSpec } from './route-spec.js';
import { parseInput } from '../shared/parse.js';
import { aliasRoutes } from './routes/aliases.js';
import { governanceRoutes } from './routes/governance.js';
import { healthRoutes } from './routes/health.js';
import { modelRoutes } from './routes/models.js';
import { versionRoutes } from './routes/versions.js';
import { alertRoutes } from './routes/alerts.js';
import { deploymentRoutes } from './routes/deployments.js';
import { inferenceRoutes } from './routes/inference.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { API_VERSION_TEXT } from './version.js';

export const API_VERSION = API_VERSION_TEXT;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** All REST routes, in the order OpenAPI lists them. */
export function allRoutes(app: App): RouteSpec[] {
  return [
    ...healthRoutes(app),
    ...modelRoutes(app),
    ...versionRoutes(app),
    ...aliasRoutes(app),
    ...deploymentRoutes(app),
    ...alertRoutes(app),
    ...pipelineRoutes(app),
    ...governanceRoutes(app),
    ...inferenceRoutes(app),
  ];
}

/** Builds the Fastify server over a wired App; `inject()` drives it in tests without a socket. */
export async function buildServer(app: App): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: app.logger as FastifyBaseLogger,
    bodyLimit: app.config.limits.bodyBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
    },
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (it showed in inference profiles); errors log their request id.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
  });

  // JSON bodies must be valid UTF-8 and free of prototype keys; say so instead of guessing.
  const jsonParse = server.getDefaultJsonParser('error', 'error');
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const buf = body as Buffer;
    if (buf.length === 0) {
      // A bodiless GET or DELETE that still names a JSON content type is not a mistake.
      if (req.method === 'GET' || req.method === 'DELETE') return done(null, undefined);
      return done(new AppError('invalid_argument', 'the request body is empty; expected JSON'), undefined);
    }
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      return done(new AppError('invalid_argument', 'the request body is not valid UTF-8'), undefined);
    }
    jsonParse(req, text, (err, value) => {
      if (err) done(new AppError('invalid_argument', `malformed JSON: ${err.message}`), undefined);
      else done(null, value);
    });
  });
  // Only JSON, CSV for MLflow scoring, and multipart for uploads; anything else is a 415.
  server.removeContentTypeParser('text/plain');
  server.addContentTypeParser(['text/csv', 'application/x-ndjson'], { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, utf8.decode(body as Buffer));
    } catch {
      done(new AppError('invalid_argument', 'the CSV body is not valid UTF-8'), undefined);
    }
  });

  const worker = String(process.pid);
  // Synchronous hooks: async ones cost a promise per request on the inference path.
  server.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', String(req.id));
    reply.header('x-sextant-worker', worker);
    done();
  });
  server.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  server.setNotFoundHandler((req, reply) =>
    sendError(new AppError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`), req, reply),
  );

  const routes = allRoutes(app);
  const register = (instance: FastifyInstance, spec: RouteSpec) =>
    instance.route({
      method: spec.method,
      url: spec.url,
      ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
      handler: async (req, reply) => {
        const who = authenticate(req, spec.role, app.tokens, app.config.auth.enabled);
        const actor = who instanceof Promise ? await who : who;
        const params = spec.params ? parseInput(spec.params, req.params, 'params') : req.params;
        const result = await spec.handler({ params, query: req.query, body: req.body, actor, req, reply });
        if (reply.sent) return reply;
        if (result === undefined) return reply.code(204).send();
        return reply.code(spec.status ?? 200).send(result);
      },
    });
  for (const spec of routes.filter((r) => !r.multipart)) register(server, spec);
  // Multipart (artifact uploads) lives in its own plugin scope: its per-request hooks would
  // otherwise run on every route, inference included.
  await server.register(async (scope) => {
    // One byte over the artifact limit reaches the hashing stream, which refuses it: busboy alone
    // would silently truncate the file at the limit.
    await scope.register(multipart, {
      limits: { fileSize: app.config.limits.artifactBytes + 1, files: 1, fields: 10, fieldSize: app.config.limits.bodyBytes },
    });
    for (const spec of routes.filter((r) => r.multipart)) register(scope, spec);
  });
  const openapi = buildOpenApi(routes, API_VERSION);
  server.get('/api/v1/openapi.json', async () => openapi);
  server.get('/metrics', async (req, reply) => {
    const registry = app.serving.metrics.registry;
    await app.monitoring.monitors.exportGauges(app.serving.metrics).catch((err) => req.log.warn({ err }, 'monitoring gauges unavailable'));
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });
  return server;
}
