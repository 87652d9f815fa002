import { z } from 'zod';
import { Timestamp } from './common.js';

export const CreateChannelRequest = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must match ^[a-z0-9][a-z0-9._-]{0,63}$'),
    kind: z.enum(['webhook', 'slack']).default('webhook'),
    url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
    secret: z.string().min(16).max(256).optional().describe('HMAC key for webhook signatures (Standard Webhooks); required for kind webhook'),
    events: z.string().max(128).default('').describe('event type prefix to deliver ("" for all)'),
  })
  .strict()
  .refine((c) => c.kind !== 'webhook' || c.secret !== undefined, { message: 'a webhook channel needs a secret (16+ characters) to sign with', path: ['secret'] })
  .meta({ id: 'CreateChannelRequest' });
export type CreateChannelRequest = z.input<typeof CreateChannelRequest>;

export const Channel = z
  .object({ name: z.string(), kind: z.enum(['webhook', 'slack']), url: z.string(), events: z.string(), createdAt: Timestamp })
  .meta({ id: 'Channel' });
export type Channel = z.infer<typeof Channel>;

export const ChannelList = z.object({ channels: z.array(Channel) }).meta({ id: 'ChannelList' });

export const Delivery = z
  .object({
    id: z.string(),
    channel: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof Delivery>;

export const DeliveryList = z.object({ deliveries: z.array(Delivery) }).meta({ id: 'DeliveryList' });

export const Alert = z
  .object({
    id: z.string(),
    deployment: z.string(),
    rule: z
      .enum(['drift', 'prediction_drift', 'data_quality', 'accuracy', 'rmse', 'fairness', 'detector', 'estimated_quality', 'multivariate_drift', 'value'])
      .describe('detector: a streaming change detector fired; estimated_quality: a label-free estimate (CBPE, DLE) fell past a threshold; multivariate_drift: data reconstruction or a domain classifier found the features drifted together; value: the business value per 1,000 predictions fell below the monitor\'s minValue'),
    message: z.string().describe('the evidence of the latest breaching window'),
    report: z.string().nullable().describe('drift alerts: the path of the HTML drift report of the window that last breached'),
    status: z.enum(['open', 'acked', 'resolved']),
    firstWindowEnd: Timestamp,
    lastWindowEnd: Timestamp,
    windows: z.number().int().describe('consecutive breaching windows folded into this alert'),
    ackedBy: z.string().nullable(),
    resolvedAt: Timestamp.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'Alert' });
export type Alert = z.infer<typeof Alert>;

export const AlertList = z.object({ alerts: z.array(Alert) }).meta({ id: 'AlertList' });
