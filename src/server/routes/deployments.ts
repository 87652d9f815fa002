import { z } from 'zod';
import { ApprovalRequested } from '../../contracts/approvals.js';
import { CanaryRequest, CreateDeploymentRequest, Deployment, DeploymentList, DeploymentName, UpdateDeploymentRequest } from '../../contracts/deployments.js';
import {
  DataQualityResult,
  DriftQuery,
  DriftReportQuery,
  DriftResult,
  FeedbackRequest,
  FeedbackResult,
  ListPredictionsQuery,
  PredictionList,
  QualityQuery,
  QualityReport,
  ReferenceInfo,
} from '../../contracts/monitoring.js';
import { ModelName } from '../../contracts/common.js';
import { AppError } from '../../shared/app-error.js';
import { DriftViews } from '../../monitoring/index.js';
import { gbtFitScore } from '../../pipelines/index.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';
import { ReasonQuery } from './models.js';

const Params = z.object({ name: DeploymentName });
const ReasonBody = z.object({ reason: z.string().max(1000).optional() }).strict();

export function deploymentRoutes(app: App) {
  const { deployments, live } = app.serving;
  // Changes take effect in this process at once; other processes pick them up from the change sequence.
  const applied = async <T>(p: Promise<T>): Promise<T> => {
    const r = await p;
    await live.refresh();
    return r;
  };
  const { feedback, quality, references } = app.monitoring;
  const driftViews = new DriftViews(references);
  return [
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/versions/:version/reference',
      summary: 'Upload reference data (the training sample) of a version: text/csv with a header, or application/x-ndjson',
      tag: 'monitoring',
      role: 'viewer',
      params: z.object({ name: ModelName, version: z.coerce.number().int().positive() }),
      response: ReferenceInfo,
      bodyLimit: app.config.limits.artifactBytes,
      handler: async ({ params, req, body, actor }) => {
        const type = String(req.headers['content-type'] ?? '');
        if (typeof body !== 'string') throw new AppError('unsupported_media_type', 'send the reference data as text/csv or application/x-ndjson');
        await app.writes.authorize(actor, { role: 'editor', model: params.name });
        return references.upload(params.name, params.version, body, type.startsWith('text/csv') ? 'csv' : 'jsonl');
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions/:version/reference',
      summary: 'A version’s reference data: size, columns, and the per-column profile',
      tag: 'monitoring',
      role: 'viewer',
      params: z.object({ name: ModelName, version: z.coerce.number().int().positive() }),
      response: ReferenceInfo,
      handler: ({ params }) => references.info(params.name, params.version),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/drift',
      summary: 'Drift of the inputs logged in a window against the serving version’s reference data',
      tag: 'monitoring',
      role: 'viewer',
      params: Params,
      query: DriftQuery,
      response: DriftResult,
      handler: ({ params, query }) => references.drift(params.name, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/drift/report.html',
      summary: 'The self-contained HTML drift report of a window of logged inputs against the reference (the page `sextant drift --html` writes); drift alerts link to it',
      tag: 'monitoring',
      role: 'viewer',
      params: Params,
      query: DriftReportQuery,
      produces: 'text/html',
      handler: async ({ params, query, reply }) => {
        const { multivariate, ...window } = query;
        const html = await driftViews.report(params.name, window, multivariate ? { fitScore: multivariate === 'both' ? gbtFitScore() : null } : undefined);
        return reply.type('text/html; charset=utf-8').send(html);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/data-quality',
      summary: 'Data-quality checks of a window against the reference: missing values, out-of-range numbers, new categories, refused requests',
      tag: 'monitoring',
      role: 'viewer',
      params: Params,
      query: DriftQuery,
      response: DataQualityResult,
      handler: ({ params, query }) => references.dataQuality(params.name, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/quality',
      summary: 'Quality metrics over a window from logged predictions and their ground truth',
      tag: 'monitoring',
      role: 'viewer',
      params: Params,
      query: QualityQuery,
      response: QualityReport,
      handler: ({ params, query }) => quality.report(params.name, query),
    }),
    route({
      method: 'POST',
      url: '/api/v1/deployments/:name/feedback',
      summary: 'Ground truth: [{requestId, label}], late, out of order and repeated alike',
      tag: 'monitoring',
      role: 'viewer',
      params: Params,
      body: FeedbackRequest,
      response: FeedbackResult,
      handler: async ({ params, body, actor }) => {
        await app.writes.authorize(actor, { role: 'editor', model: await deployments.modelOf(params.name) });
        return feedback.record(params.name, body);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/predictions',
      summary: 'Logged predictions, newest first, joined with their ground truth',
      tag: 'monitoring',
      role: 'viewer',
      params: Params,
      query: ListPredictionsQuery,
      response: PredictionList,
      handler: async ({ params, query }) => ({ predictions: await feedback.list(params.name, query) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/deployments',
      summary: 'Create a deployment following an alias or pinning weighted versions',
      tag: 'deployments',
      role: 'viewer',
      body: CreateDeploymentRequest,
      response: Deployment,
      status: 201,
      handler: ({ body, actor }) => applied(deployments.create(body, actor)),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments',
      summary: 'List deployments',
      tag: 'deployments',
      role: 'viewer',
      response: DeploymentList,
      handler: async () => ({ deployments: await deployments.list() }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name',
      summary: 'Get a deployment with its effective traffic split and last event',
      tag: 'deployments',
      role: 'viewer',
      params: Params,
      response: Deployment,
      handler: ({ params }) => deployments.get(params.name),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/deployments/:name',
      summary: 'Change alias or versions, shadows, batching, SLO or sticky header',
      tag: 'deployments',
      role: 'viewer',
      params: Params,
      body: UpdateDeploymentRequest,
      response: Deployment,
      handler: ({ params, body, actor }) => applied(deployments.update(params.name, body, actor)),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/deployments/:name',
      summary: 'Delete a deployment',
      tag: 'deployments',
      role: 'viewer',
      params: Params,
      query: ReasonQuery,
      handler: async ({ params, query, actor }) => {
        await applied(deployments.delete(params.name, { ...actor, reason: query.reason }));
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/deployments/:name/canary',
      summary: 'Send a percentage of traffic to a canary version',
      tag: 'deployments',
      role: 'viewer',
      params: Params,
      body: CanaryRequest,
      response: Deployment,
      handler: ({ params, body, actor }) => applied(deployments.canary(params.name, body, actor)),
    }),
    route({
      method: 'POST',
      url: '/api/v1/deployments/:name/promote',
      summary: 'Make the canary the primary (moves the followed alias); a protected alias answers 202 with the approval request',
      tag: 'deployments',
      role: 'viewer',
      params: Params,
      body: ReasonBody,
      response: z.union([Deployment, ApprovalRequested]),
      handler: ({ params, body, actor }) => applied(deployments.promote(params.name, { ...actor, reason: body.reason })),
    }),
    route({
      method: 'POST',
      url: '/api/v1/deployments/:name/abort',
      summary: 'Remove the canary; all traffic returns to the primary',
      tag: 'deployments',
      role: 'viewer',
      params: Params,
      body: ReasonBody,
      response: Deployment,
      handler: ({ params, body, actor }) => applied(deployments.abort(params.name, { ...actor, reason: body.reason })),
    }),
  ];
}
