import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DeploymentName } from '../../contracts/deployments.js';
import type { App } from '../../app.js';
import type { OutputTensor, Predictor } from '../../runtime/index.js';
import {
  mlflowResponse,
  oipResponse,
  parseCsv,
  parseMlflowJson,
  parseOipRequest,
  type InferInput,
  type InferResult,
  type LiveDeployment,
  type LoadedModel,
} from '../../serving/index.js';
import { AppError } from '../../shared/app-error.js';
import { API_VERSION_TEXT } from '../version.js';
import { toAppError } from '../errors.js';
import { route } from '../route-spec.js';

const Params = z.object({ name: DeploymentName });
const VersionParams = z.object({ name: DeploymentName, version: z.coerce.number().int().positive() });

const DATATYPE: Record<string, string> = { float: 'FP32', double: 'FP64', int32: 'INT32', int64: 'INT64', bool: 'BOOL', string: 'BYTES' };

function metadata(d: LiveDeployment, m: LoadedModel) {
  const p = m.predictor;
  return {
    name: d.name,
    versions: [...new Set(d.routes.map((r) => String(r.version)))],
    platform: `sextant-${p.format}`,
    inputs: p.features.map((f) => ({ name: f.name, datatype: DATATYPE[f.type], shape: [-1] })),
    outputs: p.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    parameters: { model: d.model, model_version: String(m.version) },
  };
}

export function inferenceRoutes(app: App) {
  const { inference, metrics } = app.serving;

  /** Runs one inference with metrics, the request id and the answering version in headers. */
  async function run(req: FastifyRequest, reply: FastifyReply, name: string, version: number | undefined, parse: (p: Predictor) => InferInput) {
    const started = performance.now();
    let result: InferResult | undefined;
    try {
      const d = inference.deployment(name);
      const sticky = d.spec.stickyHeader ? req.headers[d.spec.stickyHeader] : undefined;
      result = await inference.infer(name, parse, { version, stickyKey: typeof sticky === 'string' ? sticky : undefined, requestId: String(req.id) });
      reply.header('x-model-version', String(result.model.version));
      return result;
    } catch (err) {
      const e = toAppError(err);
      metrics.requests.labels(name, version === undefined ? 'routed' : String(version), String(e.status)).inc();
      throw err;
    } finally {
      if (result) {
        const m = metrics.route(name, String(result.model.version));
        m.ok.inc();
        m.latency.observe((performance.now() - started) / 1000);
      }
    }
  }

  const oipInfer = async (req: FastifyRequest, reply: FastifyReply, name: string, version?: number) => {
    let id: string | undefined;
    const r = await run(req, reply, name, version, (p) => {
      const parsed = parseOipRequest(req.body, p.features);
      id = parsed.id;
      return parsed.input;
    });
    return oipResponse(name, r.model.version, id ?? String(req.id), r.outputs as OutputTensor[]);
  };

  const modelMeta = async (name: string, version?: number) => {
    const d = inference.deployment(name);
    return metadata(d, await inference.target(d, { version }));
  };

  return [
    route({ method: 'GET', url: '/v2', summary: 'OIP server metadata', tag: 'inference', role: 'viewer', handler: async () => ({ name: 'sextant', version: API_VERSION_TEXT, extensions: [] }) }),
    route({ method: 'GET', url: '/v2/health/live', summary: 'OIP liveness', tag: 'inference', role: 'public', handler: async () => ({ live: true }) }),
    route({
      method: 'GET',
      url: '/v2/health/ready',
      summary: 'OIP readiness: the database answers and every deployment is loaded',
      tag: 'inference',
      role: 'public',
      handler: async ({ reply }) => {
        const ok = await app.database.ping().then(() => true, () => false);
        const ready = ok && app.serving.live.problems.size === 0;
        return reply.code(ready ? 200 : 503).send({ ready });
      },
    }),
    route({ method: 'GET', url: '/v2/models/:name', summary: 'OIP model metadata (a deployment)', tag: 'inference', role: 'viewer', params: Params, handler: ({ params }) => modelMeta(params.name) }),
    route({
      method: 'GET',
      url: '/v2/models/:name/versions/:version',
      summary: 'OIP model metadata for one version',
      tag: 'inference',
      role: 'viewer',
      params: VersionParams,
      handler: ({ params }) => modelMeta(params.name, params.version),
    }),
    route({
      method: 'GET',
      url: '/v2/models/:name/ready',
      summary: 'OIP model readiness',
      tag: 'inference',
      role: 'viewer',
      params: Params,
      handler: async ({ params }) => {
        inference.deployment(params.name);
        return { name: params.name, ready: true };
      },
    }),
    route({
      method: 'GET',
      url: '/v2/models/:name/versions/:version/ready',
      summary: 'OIP version readiness',
      tag: 'inference',
      role: 'viewer',
      params: VersionParams,
      handler: async ({ params }) => {
        await inference.target(inference.deployment(params.name), { version: params.version });
        return { name: params.name, version: String(params.version), ready: true };
      },
    }),
    route({
      method: 'POST',
      url: '/v2/models/:name/infer',
      summary: 'OIP inference through the deployment’s traffic split',
      tag: 'inference',
      role: 'viewer',
      params: Params,
      handler: ({ params, req, reply }) => oipInfer(req, reply, params.name),
    }),
    route({
      method: 'POST',
      url: '/v2/models/:name/versions/:version/infer',
      summary: 'OIP inference on one version, bypassing routing',
      tag: 'inference',
      role: 'viewer',
      params: VersionParams,
      handler: ({ params, req, reply }) => oipInfer(req, reply, params.name, params.version),
    }),
    route({
      method: 'POST',
      url: '/v1/deployments/:name/invocations',
      summary: 'MLflow scoring protocol: dataframe_split, dataframe_records, instances, inputs, or text/csv',
      tag: 'inference',
      role: 'viewer',
      params: Params,
      handler: async ({ params, req, reply }) => {
        const body = req.body;
        const r = await run(req, reply, params.name, undefined, () => {
          if (typeof body === 'string') return parseCsv(body);
          if (body === undefined) throw new AppError('invalid_argument', 'the request body is empty');
          return parseMlflowJson(body);
        });
        return mlflowResponse(r.outputs, r.rows);
      },
    }),
  ];
}
