import { z } from 'zod';
import { PageSize, PageToken, Timestamp } from './common.js';

export const AuditEvent = z
  .object({
    seq: z.number().int().positive(),
    time: Timestamp,
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    reason: z.string().nullable(),
    requestId: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEvent>;

export const ListAuditQuery = z
  .object({
    target: z.string().optional().describe('exact target, or a prefix ending in "*" (model:fraud*)'),
    actor: z.string().optional(),
    action: z.string().optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    order: z.enum(['asc', 'desc']).default('asc').describe('by sequence number; desc gives the newest first'),
    pageSize: PageSize,
    pageToken: PageToken,
  })
  .strict();
export type ListAuditQuery = z.input<typeof ListAuditQuery>;

export const AuditPage = z
  .object({ events: z.array(AuditEvent), nextPageToken: z.string().nullable() })
  .meta({ id: 'AuditPage' });
export type AuditPage = z.infer<typeof AuditPage>;

export const AuditVerifyResult = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    headSeq: z.number().int(),
    firstBroken: z.object({ seq: z.number().int(), reason: z.string() }).nullable(),
  })
  .meta({ id: 'AuditVerifyResult' });
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;
