import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../app.js';
import { AppError } from '../shared/app-error.js';
import { type TraceContext, tracingOn, withRequestSpan } from '../shared/tracing.js';
import { authenticate } from './auth.js';
import { errorPayload } from './errors.js';
import { type InferenceHandler, inferenceHandlers } from './inference-handlers.js';
import { parseJsonBody } from './json-body.js';

const MLFLOW = /^\/v1\/deployments\/([a-z0-9][a-z0-9._-]{0,127})\/invocations$/;
const OIP = /^\/v2\/models\/([a-z0-9][a-z0-9._-]{0,127})(?:\/versions\/([1-9]\d{0,8}))?\/infer$/;
// The route templates spans are named after, as the Fastify routes spell them.
const MLFLOW_ROUTE = '/v1/deployments/:name/invocations';
const OIP_ROUTE = '/v2/models/:name/infer';
const OIP_VERSION_ROUTE = '/v2/models/:name/versions/:version/infer';
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

export interface DirectInferenceOptions {
  /** Largest body accepted, in bytes (the server's body limit). */
  bodyLimit: number;
  /** The request id a request carries (the caller's `x-request-id` when valid). */
  requestId: (req: IncomingMessage) => string;
  /** Sent as `x-sextant-worker`, as on every other route. */
  worker: string;
  /** True while the server drains: answers then close their connection. */
  closing: () => boolean;
}

/**
 * Inference with a JSON body, served straight on node:http: on a 2-core machine Fastify's
 * per-request machinery (routing, hooks, reply) cost as much as the model and the protocol
 * together. It runs the same protocol handlers as the Fastify routes and answers with the same
 * headers and error shape. Anything it does not take (CSV bodies, other routes, names or versions
 * the routes would reject with their own message) returns false, and Fastify routes it.
 */
export function directInference(app: App, options: DirectInferenceOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const handlers = inferenceHandlers(app);
  const { tokens, config, logger } = app;

  function send(res: ServerResponse, status: number, body: string, requestId: string, version?: number, extra?: Record<string, string>): void {
    const headers: Record<string, string | number> = {
      ...extra,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
      'x-sextant-worker': options.worker,
    };
    if (version !== undefined) headers['x-model-version'] = String(version);
    if (options.closing()) headers.connection = 'close';
    res.writeHead(status, headers).end(body);
  }

  function fail(res: ServerResponse, requestId: string, err: unknown): void {
    const { status, headers, body } = errorPayload(err, requestId, logger);
    send(res, status, JSON.stringify(body), requestId, undefined, headers);
  }

  async function answer(req: IncomingMessage, res: ServerResponse, handler: InferenceHandler, deployment: string, version: number | undefined, requestId: string, body: Buffer, trace?: TraceContext) {
    try {
      const who = authenticate({ id: requestId, headers: req.headers }, 'viewer', tokens, config.auth.enabled);
      if (who instanceof Promise) await who;
      const a = await handler({ deployment, version, body: parseJsonBody(body), headers: req.headers, requestId, trace });
      send(res, 200, JSON.stringify(a.body), requestId, a.version);
    } catch (err) {
      fail(res, requestId, err);
    }
  }

  /** `answer` in a server span, the child of the caller's traceparent, when tracing is on. */
  function traced(req: IncomingMessage, res: ServerResponse, handler: InferenceHandler, route: string, deployment: string, version: number | undefined, requestId: string, body: Buffer): Promise<void> {
    return withRequestSpan(req.headers, `POST ${route}`, { 'http.request.method': 'POST', 'http.route': route, 'url.path': req.url, 'sextant.request_id': requestId, 'sextant.deployment': deployment }, async (span, trace) => {
      await answer(req, res, handler, deployment, version, requestId, body, trace);
      span?.setAttribute('http.response.status_code', res.statusCode);
    });
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    let handler = handlers.mlflow;
    let route = MLFLOW_ROUTE;
    let m = MLFLOW.exec(url);
    if (!m) {
      handler = handlers.oip;
      m = OIP.exec(url);
      if (!m) return false;
      route = m[2] === undefined ? OIP_ROUTE : OIP_VERSION_ROUTE;
    }
    const type = req.headers['content-type'];
    if (typeof type !== 'string' || !JSON_TYPE.test(type)) return false;
    const deployment = m[1]!;
    const version = m[2] === undefined ? undefined : Number(m[2]);
    const requestId = options.requestId(req);
    const tooLarge = () => new AppError('payload_too_large', `the request body is larger than the limit of ${options.bodyLimit} bytes`);
    if (Number(req.headers['content-length']) > options.bodyLimit) {
      res.shouldKeepAlive = false;
      fail(res, requestId, tooLarge());
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= options.bodyLimit) chunks.push(c);
      else if (!res.headersSent) {
        // Answer now and drop the connection rather than read the rest of an oversized body.
        res.shouldKeepAlive = false;
        fail(res, requestId, tooLarge());
      }
    });
    req.on('end', () => {
      if (size > options.bodyLimit) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      // Without tracing not even the span's attributes are built.
      void (tracingOn() ? traced(req, res, handler, route, deployment, version, requestId, body) : answer(req, res, handler, deployment, version, requestId, body));
    });
    return true;
  };
}
