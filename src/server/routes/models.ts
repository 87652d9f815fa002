import { z } from 'zod';
import { ModelName } from '../../contracts/common.js';
import { CreateModelRequest, ListModelsQuery, Model, ModelPage, UpdateModelRequest } from '../../contracts/models.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';

export const NameParams = z.object({ name: ModelName });
export const ReasonQuery = z.object({ reason: z.string().max(1000).optional() });

export function modelRoutes(app: App) {
  const { models } = app.registry;
  return [
    route({
      method: 'POST',
      url: '/api/v1/models',
      summary: 'Create a model',
      tag: 'models',
      role: 'viewer',
      body: CreateModelRequest,
      response: Model,
      status: 201,
      handler: ({ body, actor }) => models.create(body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models',
      summary: 'List and search models (name substring, tags, owner, task; paginated)',
      tag: 'models',
      role: 'viewer',
      query: ListModelsQuery,
      response: ModelPage,
      handler: ({ query }) => models.list(query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name',
      summary: 'Get a model',
      tag: 'models',
      role: 'viewer',
      params: NameParams,
      response: Model,
      handler: ({ params }) => models.get(params.name),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/models/:name',
      summary: 'Update description, owner or tags (null deletes a tag)',
      tag: 'models',
      role: 'viewer',
      params: NameParams,
      body: UpdateModelRequest,
      response: Model,
      handler: ({ params, body, actor }) => models.update(params.name, body, actor),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/models/:name',
      summary: 'Delete a model and its versions (refused while aliases or deployments point at it)',
      tag: 'models',
      role: 'viewer',
      params: NameParams,
      query: ReasonQuery,
      handler: async ({ params, query, actor }) => {
        await models.delete(params.name, { ...actor, reason: query.reason });
      },
    }),
  ];
}
