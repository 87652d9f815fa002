import { z } from 'zod';
import type { App } from '../../app.js';
import {
  DriftDistribution,
  DriftDistributionQuery,
  DriftWindowQuery,
  Overview,
  Role,
  Timeline,
  TimelineQuery,
  TrafficQuery,
  TrafficSeries,
  Whoami,
  WhoamiQuery,
} from '../../contracts/index.js';
import { AccessControl, roleAllows } from '../../governance/index.js';
import { DriftViews } from '../../monitoring/index.js';
import { overview, timeline, type EstimateCache } from '../dashboard-reads.js';
import { route } from '../route-spec.js';

const Named = z.object({ name: z.string().min(1).max(128) });

/** Read-only routes the dashboard needs beyond the other nouns (the SDK's `session` and `dashboard`). */
export function dashboardRoutes(app: App) {
  const drift = new DriftViews(app.monitoring.references);
  const estimates: EstimateCache = new Map();
  const access = new AccessControl(app.database.db);
  return [
    route({
      method: 'GET',
      url: '/api/v1/whoami',
      summary: 'Who the server takes the caller for, which roles the caller satisfies, and which optional APIs it has',
      tag: 'tokens',
      // Public, so a client learns that it must sign in without a failed request.
      role: 'public',
      query: WhoamiQuery,
      response: Whoami,
      handler: async ({ actor, req, query }) => {
        const features = {
          approvals: req.server.hasRoute({ method: 'GET', url: '/api/v1/approvals' }),
          modelCards: req.server.hasRoute({ method: 'GET', url: '/api/v1/models/:name/versions/:version/card' }),
        };
        if (!app.config.auth.enabled) return { signedIn: true, actor: actor.actor, role: 'admin', allows: Role.options, auth: false, features };
        const secret = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const principal = secret ? await app.tokens.authenticate(secret) : null;
        if (!principal) return { signedIn: false, actor: null, role: null, allows: [], auth: true, features };
        const who = `token:${principal.name}`;
        const role = query.model ? await access.effectiveRole({ actor: who, role: principal.role }, query.model) : principal.role;
        return { signedIn: true, actor: who, role, allows: Role.options.filter((r) => roleAllows(role, r)), auth: true, features };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/dashboard/overview',
      summary: "Every deployment's health: last minute of traffic, newest monitor window, open alerts and a status",
      tag: 'dashboard',
      role: 'viewer',
      response: Overview,
      handler: () => overview(app, estimates),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/traffic',
      summary: 'Requests, errors, shed requests and latency quantiles per step, summed over every serving process',
      tag: 'dashboard',
      role: 'viewer',
      params: Named,
      query: TrafficQuery,
      response: TrafficSeries,
      handler: async ({ params, query }) => {
        await app.serving.deployments.get(params.name);
        return app.serving.trafficHistory.series(params.name, query);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/timeline',
      summary: 'What each alias and deployment of a model served over time, with every change, alert and retrain as a mark',
      tag: 'dashboard',
      role: 'viewer',
      params: Named,
      query: TimelineQuery,
      response: Timeline,
      handler: ({ params, query }) => timeline(app, params.name, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/drift/distribution',
      summary: "One feature of a drift window: reference and current shares over shared bins, with the feature's test",
      tag: 'dashboard',
      role: 'viewer',
      params: Named,
      query: DriftDistributionQuery,
      response: DriftDistribution,
      handler: ({ params, query }) => drift.distribution(params.name, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/deployments/:name/drift/report',
      summary: 'The self-contained HTML drift report of a window (as `sextant drift --html` writes it)',
      tag: 'dashboard',
      role: 'viewer',
      params: Named,
      query: DriftWindowQuery,
      produces: 'text/html',
      handler: async ({ params, query, reply }) => reply.type('text/html; charset=utf-8').send(await drift.report(params.name, query)),
    }),
  ];
}
