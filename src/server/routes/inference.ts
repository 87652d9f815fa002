import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DeploymentName } from '../../contracts/deployments.js';
import type { App } from '../../app.js';
import type { LiveDeployment, LoadedModel } from '../../serving/index.js';
import type { Actor } from '../../shared/actor.js';
import { type InferenceHandler, inferenceHandlers } from '../inference-handlers.js';
import { API_VERSION_TEXT } from '../version.js';
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
  const { inference } = app.serving;

  const handlers = inferenceHandlers(app);
  const answer = async (handler: InferenceHandler, req: FastifyRequest, reply: FastifyReply, actor: Actor, deployment: string, version?: number) => {
    const a = await handler({ deployment, version, body: req.body, headers: req.headers, requestId: String(req.id), trace: actor.trace });
    reply.header('x-model-version', String(a.version));
    return a.body;
  };

  const modelMeta = async (name: string, version?: number) => {
    const d = await inference.lookup(name);
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
        await inference.lookup(params.name);
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
        await inference.target(await inference.lookup(params.name), { version: params.version });
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
      handler: ({ params, req, reply, actor }) => answer(handlers.oip, req, reply, actor, params.name),
    }),
    route({
      method: 'POST',
      url: '/v2/models/:name/versions/:version/infer',
      summary: 'OIP inference on one version, bypassing routing',
      tag: 'inference',
      role: 'viewer',
      params: VersionParams,
      handler: ({ params, req, reply, actor }) => answer(handlers.oip, req, reply, actor, params.name, params.version),
    }),
    route({
      method: 'POST',
      url: '/v1/deployments/:name/invocations',
      summary: 'MLflow scoring protocol: dataframe_split, dataframe_records, instances, inputs, or text/csv',
      tag: 'inference',
      role: 'viewer',
      params: Params,
      handler: ({ params, req, reply, actor }) => answer(handlers.mlflow, req, reply, actor, params.name),
    }),
  ];
}
