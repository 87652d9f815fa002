import { z } from 'zod';
import { Timestamp } from './common.js';

/** A singleton task's lease: which node's process does the task, until when. */
export const ClusterLease = z
  .object({
    name: z.string().describe('the task, e.g. `scheduler` or `monitor:fraud`'),
    node: z.string().describe('the node holding it'),
    holder: z.string().describe('the process holding it: node id and process id'),
    term: z.number().int().describe('grows by one each time the lease changes hands'),
    acquiredAt: Timestamp,
    renewedAt: Timestamp,
    expiresAt: Timestamp,
    live: z.boolean().describe('not yet expired: the holder still does the task'),
  })
  .meta({ id: 'ClusterLease' });
export type ClusterLease = z.infer<typeof ClusterLease>;

/** A node: one `sextant server`, all its processes. */
export const ClusterNode = z
  .object({
    id: z.string(),
    host: z.string(),
    address: z.string().describe('where it listens, as configured'),
    version: z.string().describe('the release it runs'),
    startedAt: Timestamp,
    heartbeatAt: Timestamp,
    alive: z.boolean().describe('heard from within the lease TTL'),
    leases: z.array(z.string()).describe('the leases its processes hold now'),
  })
  .meta({ id: 'ClusterNode' });
export type ClusterNode = z.infer<typeof ClusterNode>;

export const ClusterStatus = z
  .object({
    self: z.string().describe('the node that answered'),
    leaseTtlMs: z.number().int(),
    nodes: z.array(ClusterNode),
    leases: z.array(ClusterLease),
  })
  .meta({ id: 'ClusterStatus' });
export type ClusterStatus = z.infer<typeof ClusterStatus>;
