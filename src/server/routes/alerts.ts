import { z } from 'zod';
import { Alert, AlertList, Channel, ChannelList, CreateChannelRequest, DeliveryList } from '../../contracts/alerts.js';
import { CreateMonitorRequest, Monitor, MonitorResults } from '../../contracts/monitoring.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';

const Params = z.object({ name: z.string().min(1).max(64) });
const DeliveriesQuery = z.object({ channel: z.string().max(64).optional() });

export function alertRoutes(app: App) {
  const { notifications, monitors, alerts } = app.monitoring;
  const AlertsQuery = z.object({ status: z.enum(['open', 'acked', 'resolved']).optional(), deployment: z.string().max(128).optional() });
  const MonitorParams = z.object({ deployment: z.string().min(1).max(128) });
  return [
    route({
      method: 'GET',
      url: '/api/v1/alerts',
      summary: 'Alerts raised by monitors (one per rule while it keeps breaching), newest first',
      tag: 'alerts',
      role: 'viewer',
      query: AlertsQuery,
      response: AlertList,
      handler: async ({ query }) => ({ alerts: await alerts.list(query.status, query.deployment) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/alerts/:id/ack',
      summary: 'Acknowledge an alert',
      tag: 'alerts',
      role: 'viewer',
      params: z.object({ id: z.string().min(1).max(64) }),
      response: Alert,
      handler: ({ params, actor }) => alerts.ack(params.id, actor),
    }),
    route({
      method: 'POST',
      url: '/api/v1/monitors',
      summary: 'Watch a deployment: drift against the reference and quality, per window, with thresholds',
      tag: 'monitoring',
      role: 'viewer',
      body: CreateMonitorRequest,
      response: Monitor,
      status: 201,
      handler: async ({ body, actor }) => {
        await app.writes.authorize(actor, { role: 'deployer', model: await app.serving.deployments.modelOf(body.deployment) });
        return monitors.create(body);
      },
    }),
    route({ method: 'GET', url: '/api/v1/monitors/:deployment', summary: 'A monitor', tag: 'monitoring', role: 'viewer', params: MonitorParams, response: Monitor, handler: ({ params }) => monitors.get(params.deployment) }),
    route({
      method: 'GET',
      url: '/api/v1/monitors/:deployment/results',
      summary: 'Results per window, newest first (a time series of drift, quality and alerts)',
      tag: 'monitoring',
      role: 'viewer',
      params: MonitorParams,
      response: MonitorResults,
      handler: async ({ params }) => ({ results: await monitors.results(params.deployment) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/channels',
      summary: 'Add a channel: a signed webhook (Standard Webhooks HMAC-SHA256) or a Slack-compatible URL',
      tag: 'alerts',
      role: 'viewer',
      body: CreateChannelRequest,
      response: Channel,
      status: 201,
      handler: async ({ body, actor }) => {
        await app.writes.authorize(actor, { role: 'admin', model: null });
        return notifications.createChannel(body);
      },
    }),
    route({ method: 'GET', url: '/api/v1/channels', summary: 'List channels (never their secrets)', tag: 'alerts', role: 'viewer', response: ChannelList, handler: async () => ({ channels: await notifications.listChannels() }) }),
    route({
      method: 'DELETE',
      url: '/api/v1/channels/:name',
      summary: 'Remove a channel',
      tag: 'alerts',
      role: 'viewer',
      params: Params,
      handler: async ({ params, actor }) => {
        await app.writes.authorize(actor, { role: 'admin', model: null });
        await notifications.deleteChannel(params.name);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/deliveries',
      summary: 'The delivery log: every event sent to a channel, its attempts and outcome',
      tag: 'alerts',
      role: 'viewer',
      query: DeliveriesQuery,
      response: DeliveryList,
      handler: async ({ query }) => ({ deliveries: await notifications.deliveries(query.channel) }),
    }),
  ];
}
