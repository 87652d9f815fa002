export { Cluster, LEASES } from './cluster.js';
export type { ClusterOptions, ClusterStatus, LeaseStatus, NodeStatus } from './cluster.js';
export { LeaseKeeper } from './lease-keeper.js';
export type { LeaseKeeperOptions } from './lease-keeper.js';
export { NodeRegistry } from './node-registry.js';
export type { NodeIdentity, NodeRecord } from './node-registry.js';
export { newNodeId, nodeIdentity, RELEASE } from './node-identity.js';
