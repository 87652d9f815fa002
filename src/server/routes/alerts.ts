import { z } from 'zod';
import { Channel, ChannelList, CreateChannelRequest, DeliveryList } from '../../contracts/alerts.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';

const Params = z.object({ name: z.string().min(1).max(64) });
const DeliveriesQuery = z.object({ channel: z.string().max(64).optional() });

export function alertRoutes(app: App) {
  const { notifications } = app.monitoring;
  return [
    route({
      method: 'POST',
      url: '/api/v1/channels',
      summary: 'Add a channel: a signed webhook (Standard Webhooks HMAC-SHA256) or a Slack-compatible URL',
      tag: 'alerts',
      role: 'admin',
      body: CreateChannelRequest,
      response: Channel,
      status: 201,
      handler: ({ body }) => notifications.createChannel(body),
    }),
    route({ method: 'GET', url: '/api/v1/channels', summary: 'List channels (never their secrets)', tag: 'alerts', role: 'viewer', response: ChannelList, handler: async () => ({ channels: await notifications.listChannels() }) }),
    route({
      method: 'DELETE',
      url: '/api/v1/channels/:name',
      summary: 'Remove a channel',
      tag: 'alerts',
      role: 'admin',
      params: Params,
      handler: async ({ params }) => {
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
      handler: async ({ query }) => ({ deliveries: await notifications.deliveries(DeliveriesQuery.parse(query ?? {}).channel) }),
    }),
  ];
}
