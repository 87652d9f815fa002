import {
  DriftDistribution,
  type DriftDistributionQuery,
  Overview,
  Timeline,
  type TimelineQuery,
  type TrafficQuery,
  TrafficSeries,
  Whoami,
} from '../contracts/index.js';
import { enc, type Query, type Transport } from './transport.js';

type Window = { since?: string; until?: string; version?: number };

/** The reads the dashboard makes (approvals are in `governance-resources.ts`). */
export function dashboardResources(t: Transport) {
  const { call, text } = t;
  return {
    session: {
      /** Who the server takes the caller for and which roles the caller satisfies (on `model`, grants included). */
      whoami: (model?: string) => call(Whoami, 'GET', '/api/v1/whoami', { query: { model } }),
    },
    dashboard: {
      /** Every deployment's health in one answer: traffic of the last minute, drift, quality, alerts, a status. */
      overview: () => call(Overview, 'GET', '/api/v1/dashboard/overview'),
      /** Requests, errors, shed requests and latency quantiles per step, from every serving process. */
      traffic: (deployment: string, query: TrafficQuery = {}) =>
        call(TrafficSeries, 'GET', `/api/v1/deployments/${enc(deployment)}/traffic`, { query: query as Query }),
      /** What each alias and deployment of a model served over time, with who changed what and why. */
      timeline: (model: string, query: TimelineQuery = {}) => call(Timeline, 'GET', `/api/v1/models/${enc(model)}/timeline`, { query: query as Query }),
      /** One feature of a drift window: reference and current shares over shared bins, with its test. */
      driftDistribution: (deployment: string, query: DriftDistributionQuery) =>
        call(DriftDistribution, 'GET', `/api/v1/deployments/${enc(deployment)}/drift/distribution`, { query: query as Query }),
      /** The self-contained HTML drift report of a window (what `sextant drift --html` writes). */
      driftReport: (deployment: string, window: Window = {}) => text('GET', `/api/v1/deployments/${enc(deployment)}/drift/report`, { query: window as Query }),
    },
  };
}
