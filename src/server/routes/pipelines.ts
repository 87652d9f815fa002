import { z } from 'zod';
import type { App } from '../../app.js';
import { ModelName, VersionNumber } from '../../contracts/common.js';
import { Job, JobList, JobLogs, JobLogsQuery, ListJobsQuery, PolicySpec, PromotionList, RetrainingPolicy, RetrainRequest, ValidationResult } from '../../contracts/pipelines.js';
import { route } from '../route-spec.js';

const ModelParams = z.object({ name: ModelName });
const JobParams = z.object({ id: z.string().min(1).max(64) });

export function pipelineRoutes(app: App) {
  const { jobs, policies, retrain, promotions } = app.pipelines;
  return [
    route({
      method: 'POST',
      url: '/api/v1/models/:name/retrain',
      summary: 'Queue a retrain of a model now (409 while one is in flight)',
      tag: 'retraining',
      role: 'viewer',
      params: ModelParams,
      body: RetrainRequest,
      response: Job,
      status: 202,
      handler: ({ params, body, actor }) => retrain.request(params.name, body, actor),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/policy',
      summary: 'Set the retraining policy of a model: triggers, trainer, data, gate, promotion',
      tag: 'retraining',
      role: 'viewer',
      params: ModelParams,
      body: PolicySpec,
      response: RetrainingPolicy,
      handler: ({ params, body, actor }) => policies.set(params.name, body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/policy',
      summary: 'The retraining policy of a model',
      tag: 'retraining',
      role: 'viewer',
      params: ModelParams,
      response: RetrainingPolicy,
      handler: ({ params }) => policies.get(params.name),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions/:version/validation',
      summary: "The validation gate's result for a retrained version",
      tag: 'retraining',
      role: 'viewer',
      params: z.object({ name: ModelName, version: z.coerce.number().pipe(VersionNumber) }),
      response: ValidationResult,
      handler: ({ params }) => retrain.validation(params.name, params.version),
    }),
    route({
      method: 'GET',
      url: '/api/v1/jobs',
      summary: 'Jobs, newest first, filtered by model, status or kind',
      tag: 'retraining',
      role: 'viewer',
      query: ListJobsQuery,
      response: JobList,
      handler: async ({ query }) => ({ jobs: await jobs.list(query) }),
    }),
    route({ method: 'GET', url: '/api/v1/jobs/:id', summary: 'A job', tag: 'retraining', role: 'viewer', params: JobParams, response: Job, handler: ({ params }) => jobs.get(params.id) }),
    route({
      method: 'GET',
      url: '/api/v1/jobs/:id/logs',
      summary: 'Log lines of a job after a sequence number (poll with ?after=next to follow)',
      tag: 'retraining',
      role: 'viewer',
      params: JobParams,
      query: JobLogsQuery,
      response: JobLogs,
      handler: ({ params, query }) => jobs.logs(params.id, query),
    }),
    route({
      method: 'POST',
      url: '/api/v1/jobs/:id/cancel',
      summary: 'Cancel a job: a queued one at once, a running one at its next heartbeat',
      tag: 'retraining',
      role: 'viewer',
      params: JobParams,
      response: Job,
      handler: async ({ params, actor }) => {
        const job = await jobs.get(params.id);
        await app.writes.authorize(actor, job.model ? { role: 'deployer', model: job.model } : { role: 'admin', model: null });
        return jobs.cancel(params.id, actor.actor);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/promotions',
      summary: 'Promotions of retrained versions (canary ramps), newest first',
      tag: 'retraining',
      role: 'viewer',
      query: z.object({ model: z.string().optional(), status: z.string().optional() }),
      response: PromotionList,
      handler: async ({ query }) => ({ promotions: await promotions.list(query) }),
    }),
  ];
}
