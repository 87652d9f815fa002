import { z } from 'zod';
import { ModelName } from '../../contracts/common.js';
import { CardFields, CardQuery, ModelCard } from '../../contracts/cards.js';
import { FairnessQuery, FairnessReportList, StoredFairnessReport } from '../../contracts/fairness.js';
import { cardHtml, cardMarkdown } from '../../governance/index.js';
import type { App } from '../../app.js';
import { AppError } from '../../shared/app-error.js';
import { route } from '../route-spec.js';

const VersionParams = z.object({ name: ModelName, version: z.coerce.number().int().positive() });
const NameParams = z.object({ name: ModelName });

/** Fairness reports and model cards of versions. */
export function transparencyRoutes(app: App) {
  const { fairness, cards } = app.transparency;
  return [
    route({
      method: 'POST',
      url: '/api/v1/models/:name/versions/:version/fairness',
      summary: 'Fairness of a version on a labelled dataset (text/csv or application/x-ndjson) it scores itself; the report is stored',
      tag: 'governance',
      role: 'viewer',
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
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions/:version/card',
      summary: 'The version’s model card (Model Card Toolkit schema v0.0.2 with Sextant’s additions), current at every read; ?format=md|html renders it',
      tag: 'governance',
      role: 'viewer',
      params: VersionParams,
      query: CardQuery,
      response: ModelCard,
      handler: async ({ params, query, reply }) => {
        const card = await cards.card(params.name, params.version);
        if (query.format === 'json') return card;
        const [type, text] = query.format === 'md' ? ['text/markdown; charset=utf-8', cardMarkdown(card)] : ['text/html; charset=utf-8', cardHtml(card)];
        return reply.type(type).send(text);
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/card',
      summary: 'Set the human fields of the model’s card (every version): given fields replace the stored ones, null removes one',
      tag: 'governance',
      role: 'viewer',
      params: NameParams,
      body: CardFields,
      response: CardFields,
      handler: ({ params, body, actor }) => cards.edit(params.name, null, body, actor),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/versions/:version/card',
      summary: 'Set human fields of one version’s card, over the model’s',
      tag: 'governance',
      role: 'viewer',
      params: VersionParams,
      body: CardFields,
      response: CardFields,
      handler: ({ params, body, actor }) => cards.edit(params.name, params.version, body, actor),
    }),
  ];
}
