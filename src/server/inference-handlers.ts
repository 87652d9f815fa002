import type { IncomingHttpHeaders } from 'node:http';
import type { App } from '../app.js';
import type { OutputTensor, Predictor } from '../runtime/index.js';
import { mlflowResponse, oipResponse, parseCsv, parseMlflowJson, parseOipRequest, type InferInput, type InferResult } from '../serving/index.js';
import { AppError } from '../shared/app-error.js';
import type { TraceContext } from '../shared/tracing.js';
import { toAppError } from './errors.js';

/** What an inference request answers: the response body and the version that produced it. */
export interface InferenceAnswer {
  body: unknown;
  version: number;
}

/** One inference request, whichever transport carried it. */
export interface InferenceCall {
  deployment: string;
  /** Bypass routing and use this version. */
  version?: number;
  /** The parsed JSON body, or the text of a CSV body. */
  body: unknown;
  headers: IncomingHttpHeaders;
  requestId: string;
  /** The request's span when tracing is on. */
  trace?: TraceContext;
}

export type InferenceHandler = (call: InferenceCall) => Promise<InferenceAnswer>;

/**
 * The two inference protocols as functions of a parsed request, so the Fastify routes and the
 * server's direct path for inference answer alike: routing (sticky header included), the
 * prediction log's request id, and the per-version request and latency metrics.
 */
export function inferenceHandlers(app: App): { mlflow: InferenceHandler; oip: InferenceHandler } {
  const { inference, metrics } = app.serving;

  async function run(call: InferenceCall, parse: (p: Predictor) => InferInput): Promise<InferResult> {
    const started = performance.now();
    const { deployment: name, version } = call;
    let result: InferResult | undefined;
    try {
      // Awaits only for a name this process does not know (yet).
      const d = inference.find(name) ?? (await inference.lookup(name));
      const sticky = d.spec.stickyHeader ? call.headers[d.spec.stickyHeader] : undefined;
      // An id the caller did not send was made here: unique, so the log need not index it.
      const ownRequestId = call.headers['x-request-id'] !== call.requestId;
      result = await inference.infer(name, parse, { version, stickyKey: typeof sticky === 'string' ? sticky : undefined, requestId: call.requestId, ownRequestId, trace: call.trace });
      return result;
    } catch (err) {
      metrics.requests.labels(name, version === undefined ? 'routed' : String(version), String(toAppError(err).status)).inc();
      throw err;
    } finally {
      if (result) {
        const m = metrics.route(name, String(result.model.version));
        m.ok.inc();
        m.latency.observe((performance.now() - started) / 1000);
      }
    }
  }

  return {
    mlflow: async (call) => {
      const body = call.body;
      const r = await run(call, () => {
        if (typeof body === 'string') return parseCsv(body);
        if (body === undefined) throw new AppError('invalid_argument', 'the request body is empty');
        return parseMlflowJson(body);
      });
      return { body: mlflowResponse(r.outputs, r.rows), version: r.model.version };
    },
    oip: async (call) => {
      let id: string | undefined;
      const r = await run(call, (p) => {
        const parsed = parseOipRequest(call.body, p.features);
        id = parsed.id;
        return parsed.input;
      });
      return { body: oipResponse(call.deployment, r.model.version, id ?? call.requestId, r.outputs as OutputTensor[]), version: r.model.version };
    },
  };
}
