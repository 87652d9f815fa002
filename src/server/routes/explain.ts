import { z } from 'zod';
import { ModelName } from '../../contracts/common.js';
import { DeploymentName } from '../../contracts/deployments.js';
import { FeatureImportance, MlflowExplainResponse, OipExplainResponse } from '../../contracts/explanations.js';
import type { App } from '../../app.js';
import { mlflowResponse, oipResponse, parseCsv, parseMlflowJson, parseOipRequest } from '../../serving/index.js';
import { AppError } from '../../shared/app-error.js';
import { route } from '../route-spec.js';

const Params = z.object({ name: DeploymentName });
const VersionParams = z.object({ name: DeploymentName, version: z.coerce.number().int().positive() });
const ModelVersionParams = z.object({ name: ModelName, version: z.coerce.number().int().positive() });

/** `explain` beside `infer`: the same bodies, answered with the predictions and their SHAP values. */
export function explainRoutes(app: App) {
  const { explain } = app.serving;

  const oip = async (name: string, body: unknown, requestId: string, reply: { header(k: string, v: string): unknown }, version?: number) => {
    let id: string | undefined;
    const r = await explain.explain(
      name,
      (p) => {
        const parsed = parseOipRequest(body, p.features);
        id = parsed.id;
        return parsed.input;
      },
      { version },
    );
    reply.header('x-model-version', String(r.model.version));
    return { ...oipResponse(name, r.model.version, id ?? requestId, r.outputs), explanations: r.explanation };
  };

  return [
    route({
      method: 'POST',
      url: '/v2/models/:name/explain',
      summary: 'OIP inference with SHAP explanations (TreeSHAP for trees, linear SHAP for linear models)',
      tag: 'inference',
      role: 'viewer',
      params: Params,
      response: OipExplainResponse,
      handler: ({ params, req, reply }) => oip(params.name, req.body, String(req.id), reply),
    }),
    route({
      method: 'POST',
      url: '/v2/models/:name/versions/:version/explain',
      summary: 'OIP inference with SHAP explanations on one version, bypassing routing',
      tag: 'inference',
      role: 'viewer',
      params: VersionParams,
      response: OipExplainResponse,
      handler: ({ params, req, reply }) => oip(params.name, req.body, String(req.id), reply, params.version),
    }),
    route({
      method: 'POST',
      url: '/v1/deployments/:name/explain',
      summary: 'MLflow scoring bodies (dataframe_split, dataframe_records, instances, inputs, text/csv) answered with predictions and SHAP explanations',
      tag: 'inference',
      role: 'viewer',
      params: Params,
      response: MlflowExplainResponse,
      handler: async ({ params, req, reply }) => {
        const body = req.body;
        const r = await explain.explain(params.name, () => {
          if (typeof body === 'string') return parseCsv(body);
          if (body === undefined) throw new AppError('invalid_argument', 'the request body is empty');
          return parseMlflowJson(body);
        });
        reply.header('x-model-version', String(r.model.version));
        return { ...mlflowResponse(r.outputs, r.rows), explanations: r.explanation };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions/:version/importance',
      summary: 'Global feature importance: mean |SHAP contribution| over the version’s reference data',
      tag: 'versions',
      role: 'viewer',
      params: ModelVersionParams,
      response: FeatureImportance,
      handler: async ({ params }) => ({ model: params.name, version: params.version, ...(await explain.importance(params.name, params.version)) }),
    }),
  ];
}
