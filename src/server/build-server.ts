import { createServer, type IncomingMessage } from 'node:http';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { newRequestId } from '../shared/ids.js';
import { type Span, type TraceContext, tracingOn, withRequestSpan } from '../shared/tracing.js';
import { authenticate } from './auth.js';
import { directInference } from './direct-inference.js';
import { parseJsonBody, textBody } from './json-body.js';
import { sendError } from './errors.js';
import { clientErrorHandler } from './client-error.js';
import { buildOpenApi } from './openapi.js';
import { scrapeMetrics } from './cluster-metrics.js';
import type { RouteSpec } from './route-spec.js';
import { routeInput } from './route-input.js';
import { aliasRoutes } from './routes/aliases.js';
import { governanceRoutes } from './routes/governance.js';
import { approvalRoutes } from './routes/approvals.js';
import { isApprovalRequested } from '../contracts/approvals.js';
import { healthRoutes } from './routes/health.js';
import { modelRoutes } from './routes/models.js';
import { versionRoutes } from './routes/versions.js';
import { alertRoutes } from './routes/alerts.js';
import { clusterRoutes } from './routes/cluster.js';
import { deploymentRoutes } from './routes/deployments.js';
import { driftRoutes } from './routes/drift.js';
import { explainRoutes } from './routes/explain.js';
import { transparencyRoutes } from './routes/transparency.js';
import { inferenceRoutes } from './routes/inference.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { kpiRoutes } from './routes/kpi.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { mlflowRegistryRoutes, registerMlflowFallback } from './routes/mlflow-registry.js';
import { registerDashboard } from './static-files.js';
import { API_VERSION_TEXT } from './version.js';

export const API_VERSION = API_VERSION_TEXT;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** All REST routes, in the order OpenAPI lists them. */
export function allRoutes(app: App): RouteSpec[] {
  return [
    ...healthRoutes(app),
    ...modelRoutes(app),
    ...versionRoutes(app),
    ...aliasRoutes(app),
    ...deploymentRoutes(app),
    ...driftRoutes(app),
    ...alertRoutes(app),
    ...pipelineRoutes(app),
    ...kpiRoutes(app),
    ...governanceRoutes(app),
    ...approvalRoutes(app),
    ...clusterRoutes(app),
    ...dashboardRoutes(app),
    ...inferenceRoutes(app),
    ...explainRoutes(app),
    ...transparencyRoutes(app),
  ];
}

/** The caller's `x-request-id` when it is a usable id, else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
}

export interface BuildServerOptions {
  /** True while the server drains; answers then close their connection. */
  closing?: () => boolean;
}

/**
 * Builds the Fastify server over a wired App. Over a socket, inference with JSON bodies takes the
 * direct path (`directInference`); `inject()` in tests drives the Fastify routes, which run the
 * same protocol handlers.
 */
export async function buildServer(app: App, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const worker = String(process.pid);
  const closing = options.closing ?? (() => false);
  const direct = directInference(app, { bodyLimit: app.config.limits.bodyBytes, requestId: requestIdOf, worker, closing });
  const server = Fastify({
    loggerInstance: app.logger as FastifyBaseLogger,
    bodyLimit: app.config.limits.bodyBytes,
    genReqId: requestIdOf,
    serverFactory: (handler) => {
      const http = createServer((req, res) => {
        if (!direct(req, res)) handler(req, res);
      });
      // Fastify's own settings for the server it would have made.
      http.keepAliveTimeout = 72_000;
      http.requestTimeout = 0;
      return http;
    },
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (it showed in inference profiles); errors log their request id.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
    clientErrorHandler,
  });

  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    // A bodiless GET or DELETE that still names a JSON content type is not a mistake.
    if ((body as Buffer).length === 0 && (req.method === 'GET' || req.method === 'DELETE')) return done(null, undefined);
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Only JSON, CSV for MLflow scoring, and multipart for uploads; anything else is a 415.
  server.removeContentTypeParser('text/plain');
  server.addContentTypeParser(['text/csv', 'application/x-ndjson'], { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, textBody(body as Buffer, 'CSV'));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // Synchronous hooks: async ones cost a promise per request on the inference path.
  server.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', String(req.id));
    reply.header('x-sextant-worker', worker);
    done();
  });
  server.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  registerDashboard(server);

  const routes = allRoutes(app);
  const register = (instance: FastifyInstance, spec: RouteSpec) => {
    const input = routeInput(spec);
    const handle = async (req: FastifyRequest, reply: FastifyReply, span: Span | undefined, trace: TraceContext | undefined) => {
      const who = authenticate(req, spec.role, app.tokens, app.config.auth.enabled);
      const authenticated = who instanceof Promise ? await who : who;
      // The request's span travels with the actor, so writes (and inference) are made under it.
      const actor = trace ? { ...authenticated, trace } : authenticated;
      const result = await spec.handler({ ...input(req), actor, req, reply });
      if (reply.sent) return reply;
      // A move of a protected alias became a request: accepted, not done.
      const status = result === undefined ? 204 : isApprovalRequested(result) ? 202 : (spec.status ?? 200);
      span?.setAttribute('http.response.status_code', status);
      if (result === undefined) return reply.code(204).send();
      return reply.code(status).send(result);
    };
    instance.route({
      method: spec.method,
      url: spec.url,
      ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
      ...(spec.errorHandler ? { errorHandler: spec.errorHandler } : {}),
      handler: (req, reply) =>
        // A server span per request, the child of the caller's traceparent; without tracing, nothing is built.
        tracingOn()
          ? withRequestSpan(req.headers, `${spec.method} ${spec.url}`, { 'http.request.method': spec.method, 'http.route': spec.url, 'url.path': req.url, 'sextant.request_id': String(req.id) }, (span, trace) => handle(req, reply, span, trace))
          : handle(req, reply, undefined, undefined),
    });
  };
  for (const spec of routes.filter((r) => !r.multipart)) register(server, spec);
  // Other protocols' routes answer in their own shapes and are documented in their own terms.
  for (const spec of mlflowRegistryRoutes(app)) register(server, spec);
  registerMlflowFallback(server);
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
    return reply.header('content-type', registry.contentType).send(await scrapeMetrics(registry));
  });
  return server;
}
