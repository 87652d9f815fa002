import { z } from 'zod';
import type { App } from '../../app.js';
import { ModelName } from '../../contracts/common.js';
import { KpiSpec, ModelKpi } from '../../contracts/kpi.js';
import { route } from '../route-spec.js';

const ModelParams = z.object({ name: ModelName });

/** A model's business value KPI: what its outcomes are worth and what serving it costs. */
export function kpiRoutes(app: App) {
  const { kpis } = app.monitoring;
  return [
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/kpi',
      summary: "Set a model's business value: outcome values (classifiers), cost per unit of absolute error (regression), price per CPU-hour",
      tag: 'monitoring',
      role: 'viewer',
      params: ModelParams,
      body: KpiSpec,
      response: ModelKpi,
      handler: ({ params, body, actor }) => kpis.set(params.name, body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/kpi',
      summary: "A model's business value KPI",
      tag: 'monitoring',
      role: 'viewer',
      params: ModelParams,
      response: ModelKpi,
      handler: ({ params }) => kpis.get(params.name),
    }),
  ];
}
