import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  AliasRef,
  CreateModelVersion,
  CreateRegisteredModel,
  DeleteModelVersionTag,
  DeleteRegisteredModelTag,
  DownloadUri,
  Empty,
  GetLatestVersions,
  ModelVersionList,
  ModelVersionResponse,
  ModelVersionsPage,
  NameOnly,
  RegisteredModelResponse,
  RegisteredModelsPage,
  RenameRegisteredModel,
  SearchModelVersions,
  SearchRegisteredModels,
  SetModelVersionTag,
  SetRegisteredModelAlias,
  SetRegisteredModelTag,
  UpdateModelVersion,
  UpdateRegisteredModel,
  VersionRef,
} from '../../contracts/mlflow.js';
import type { Role } from '../../contracts/tokens.js';
import type { App } from '../../app.js';
import type { Actor } from '../../governance/actor.js';
import { mlflowError } from '../../mlflow-registry/index.js';
import { parseInput } from '../../shared/parse.js';
import type { Logger } from '../../shared/logger.js';
import { toAppError } from '../errors.js';
import type { HandlerContext, RouteSpec } from '../route-spec.js';

/** MLflow clients call both: the REST API, and the paths its own web UI uses. */
const PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;

/** Any failure of an MLflow route as MLflow's `{error_code, message}` with MLflow's status. */
export function sendMlflowError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const e = toAppError(err);
  const log = req.log as Logger;
  if (e.code === 'internal') log.error({ err: (e.cause as Error) ?? e, requestId: String(req.id) }, 'request failed');
  const { status, body } = mlflowError(e, String(req.id));
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy(e);
    return;
  }
  void reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface Endpoint<S extends z.ZodObject> {
  method: Method;
  path: string;
  summary: string;
  role: Role;
  request: S;
  response: z.ZodType;
  handler(input: z.output<S>, actor: Actor, req: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/**
 * One MLflow endpoint under both prefixes. GET reads its message from the query string, POST and
 * PATCH from the JSON body, DELETE from either (MLflow's Python client sends a body, other
 * clients a query string).
 */
function endpoint<S extends z.ZodObject>(e: Endpoint<S>): RouteSpec[] {
  const where = e.method === 'GET' ? { query: e.request } : e.method === 'DELETE' ? { query: e.request.partial(), body: e.request.partial() } : { body: e.request };
  return PREFIXES.map(
    (prefix): RouteSpec => ({
      method: e.method,
      url: `${prefix}${e.path}`,
      summary: e.summary,
      tag: 'mlflow',
      role: e.role,
      ...where,
      response: e.response,
      errorHandler: sendMlflowError,
      handler: async ({ query, body, actor, req, reply }: HandlerContext<unknown, unknown, unknown>) => {
        const input =
          e.method === 'GET'
            ? (query as z.output<S>)
            : e.method === 'DELETE'
              ? parseInput(e.request, { ...(query as object), ...(body as object) }, 'body')
              : (body as z.output<S>);
        // MLflow answers an empty message `{}`, never an empty body.
        return (await e.handler(input, actor, req, reply)) ?? {};
      },
    }),
  );
}

/**
 * Any other path under the MLflow prefixes (the tracking API, a misspelt endpoint) answers as
 * MLflow does: 404 `ENDPOINT_NOT_FOUND`, in MLflow's error shape rather than Sextant's.
 */
export function registerMlflowFallback(server: FastifyInstance): void {
  for (const prefix of PREFIXES) {
    server.all(`${prefix}/*`, { errorHandler: sendMlflowError }, async (req, reply) => {
      const path = req.url.split('?')[0];
      void reply.code(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `Sextant serves MLflow's Model Registry API only; no endpoint ${req.method} ${path}`, request_id: String(req.id) });
    });
  }
}

const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

/**
 * MLflow's Model Registry REST API (`model_registry.proto`) over Sextant's registry. Every route
 * only authenticates (`viewer`): the write path checks the role each write needs on its model,
 * per-model grants included, as for the native routes.
 */
export function mlflowRegistryRoutes(app: App): RouteSpec[] {
  const m = app.mlflow;
  return [
    endpoint({
      method: 'POST', path: '/registered-models/create', summary: 'Create a registered model', role: 'viewer',
      request: CreateRegisteredModel, response: RegisteredModelResponse,
      handler: async (r, actor) => ({ registered_model: await m.createModel(r, actor) }),
    }),
    endpoint({
      method: 'GET', path: '/registered-models/get', summary: 'Get a registered model', role: 'viewer',
      request: NameOnly, response: RegisteredModelResponse,
      handler: async (r) => ({ registered_model: await m.getModel(r.name) }),
    }),
    endpoint({
      method: 'POST', path: '/registered-models/rename', summary: 'Rename a registered model', role: 'viewer',
      request: RenameRegisteredModel, response: RegisteredModelResponse,
      handler: async (r, actor) => ({ registered_model: await m.renameModel(r.name, r.new_name, actor) }),
    }),
    endpoint({
      method: 'PATCH', path: '/registered-models/update', summary: 'Update a registered model’s description', role: 'viewer',
      request: UpdateRegisteredModel, response: RegisteredModelResponse,
      handler: async (r, actor) => ({ registered_model: await m.updateModel(r.name, r.description, actor) }),
    }),
    endpoint({
      method: 'DELETE', path: '/registered-models/delete', summary: 'Delete a registered model', role: 'viewer',
      request: NameOnly, response: Empty,
      handler: (r, actor) => app.registry.models.delete(r.name, actor),
    }),
    endpoint({
      method: 'GET', path: '/registered-models/search', summary: 'Search registered models', role: 'viewer',
      request: SearchRegisteredModels, response: RegisteredModelsPage,
      handler: (r) => m.searchModels(r),
    }),
    endpoint({
      method: 'POST', path: '/registered-models/set-tag', summary: 'Set a registered model tag', role: 'viewer',
      request: SetRegisteredModelTag, response: Empty,
      handler: (r, actor) => m.setModelTag(r.name, r.key, r.value, actor),
    }),
    endpoint({
      method: 'DELETE', path: '/registered-models/delete-tag', summary: 'Delete a registered model tag', role: 'viewer',
      request: DeleteRegisteredModelTag, response: Empty,
      handler: (r, actor) => m.deleteModelTag(r.name, r.key, actor),
    }),
    endpoint({
      method: 'POST', path: '/registered-models/alias', summary: 'Set an alias', role: 'viewer',
      request: SetRegisteredModelAlias, response: Empty,
      handler: async (r, actor, req, reply) => {
        const { approval } = await m.setAlias(r.name, r.alias, r.version, actor);
        if (!approval) return {};
        // Accepted, not done: MLflow clients raise any answer but 200 with its error_code and
        // message, so the caller learns the alias did not move and which request to approve.
        return reply
          .code(202)
          .send({
            error_code: 'PERMISSION_DENIED',
            message: `alias ${r.alias} of model ${r.name} is protected: moving it to version ${r.version} is approval request ${approval.id}, which waits for approval (sextant approvals approve ${approval.id})`,
            request_id: String(req.id),
            approval,
          });
      },
    }),
    endpoint({
      method: 'DELETE', path: '/registered-models/alias', summary: 'Delete an alias', role: 'viewer',
      request: AliasRef, response: Empty,
      handler: (r, actor) => m.deleteAlias(r.name, r.alias, actor),
    }),
    endpoint({
      method: 'GET', path: '/registered-models/alias', summary: 'Get the model version an alias names', role: 'viewer',
      request: AliasRef, response: ModelVersionResponse,
      handler: async (r) => ({ model_version: await m.versionByAlias(r.name, r.alias) }),
    }),
    ...(['POST', 'GET'] as const).map((method) =>
      endpoint({
        method, path: '/registered-models/get-latest-versions', summary: 'Latest version per stage', role: 'viewer',
        request: GetLatestVersions, response: ModelVersionList,
        handler: async (r) => ({ model_versions: await m.latestVersions(r.name, r.stages) }),
      }),
    ),
    endpoint({
      method: 'POST', path: '/model-versions/create', summary: 'Create a model version from an MLflow model directory or a models:/ URI', role: 'viewer',
      request: CreateModelVersion, response: ModelVersionResponse,
      handler: async (r, actor) => ({ model_version: await m.createVersion(r, actor) }),
    }),
    endpoint({
      method: 'GET', path: '/model-versions/get', summary: 'Get a model version', role: 'viewer',
      request: VersionRef, response: ModelVersionResponse,
      handler: async (r) => ({ model_version: await m.getVersion(r.name, r.version) }),
    }),
    endpoint({
      method: 'PATCH', path: '/model-versions/update', summary: 'Update a model version’s description', role: 'viewer',
      request: UpdateModelVersion, response: ModelVersionResponse,
      handler: async (r, actor) => ({ model_version: await m.updateVersion(r.name, r.version, r.description, actor) }),
    }),
    endpoint({
      method: 'DELETE', path: '/model-versions/delete', summary: 'Delete a model version', role: 'viewer',
      request: VersionRef, response: Empty,
      handler: (r, actor) => m.deleteVersion(r.name, r.version, actor),
    }),
    endpoint({
      method: 'GET', path: '/model-versions/search', summary: 'Search model versions', role: 'viewer',
      request: SearchModelVersions, response: ModelVersionsPage,
      handler: (r) => m.searchVersions(r),
    }),
    endpoint({
      method: 'GET', path: '/model-versions/get-download-uri', summary: 'Where a model version’s files are', role: 'viewer',
      request: VersionRef, response: DownloadUri,
      handler: async (r, _actor, req) => ({ artifact_uri: await m.downloadUri(r.name, r.version, baseUrl(req)) }),
    }),
    endpoint({
      method: 'POST', path: '/model-versions/set-tag', summary: 'Set a model version tag', role: 'viewer',
      request: SetModelVersionTag, response: Empty,
      handler: (r, actor) => m.setVersionTag(r.name, r.version, r.key, r.value, actor),
    }),
    endpoint({
      method: 'DELETE', path: '/model-versions/delete-tag', summary: 'Delete a model version tag', role: 'viewer',
      request: DeleteModelVersionTag, response: Empty,
      handler: (r, actor) => m.deleteVersionTag(r.name, r.version, r.key, actor),
    }),
  ].flat();
}
