import { z } from 'zod';
import {
  ApprovalSummary,
  ApprovalSummaryList,
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

/** The reads the dashboard makes, plus approvals as their API defines them. */
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
    approvals: {
      /** Approval requests (four-eyes promotions), filtered by status or model. */
      list: async (query: { status?: string; model?: string } = {}) => (await call(ApprovalSummaryList, 'GET', '/api/v1/approvals', { query })).approvals,
      /** Approves a request; the last approval needed makes the move happen. */
      approve: (id: string, reason?: string) => call(z.unknown(), 'POST', `/api/v1/approvals/${enc(id)}/approve`, { body: { reason } }),
      /** Rejects a request. */
      reject: (id: string, reason?: string) => call(z.unknown(), 'POST', `/api/v1/approvals/${enc(id)}/reject`, { body: { reason } }),
    },
  };
}

export type { ApprovalSummary };
