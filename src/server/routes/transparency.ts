import { z } from 'zod';
import { ModelName } from '../../contracts/common.js';
import { FairnessQuery, FairnessReportList, StoredFairnessReport } from '../../contracts/fairness.js';
import type { App } from '../../app.js';
import { AppError } from '../../shared/app-error.js';
import { route } from '../route-spec.js';

const VersionParams = z.object({ name: ModelName, version: z.coerce.number().int().positive() });

/** Fairness reports and model cards of versions. */
export function transparencyRoutes(app: App) {
  const { fairness } = app.transparency;
  return [
    route({
      method: 'POST',
      url: '/api/v1/models/:name/versions/:version/fairness',
      summary: 'Fairness of a version on a labelled dataset (text/csv or application/x-ndjson) it scores itself; the report is stored',
      tag: 'governance',
      role: 'editor',
      params: VersionParams,
      query: FairnessQuery,
      response: StoredFairnessReport,
      status: 201,
      bodyLimit: app.config.limits.artifactBytes,
      handler: ({ params, query, body, req, actor }) => {
        const type = String(req.headers['content-type'] ?? '');
        if (typeof body !== 'string') throw new AppError('unsupported_media_type', 'send the dataset as text/csv (with a header) or application/x-ndjson');
        return fairness.evaluate(params.name, params.version, body, type.startsWith('text/csv') ? 'csv' : 'jsonl', query, actor);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions/:version/fairness',
      summary: 'A version’s stored fairness reports, newest first',
      tag: 'governance',
      role: 'viewer',
      params: VersionParams,
      response: FairnessReportList,
      handler: async ({ params }) => ({ reports: await fairness.list(params.name, params.version) }),
    }),
  ];
}
