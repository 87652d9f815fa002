import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Config } from '../config/index.js';
import type { NodeIdentity } from './node-registry.js';

/** The release running here (package.json sits two folders up from src/cluster and dist/cluster). */
export const RELEASE: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** A node id for a server started without one: the host name and a few random characters. */
export const newNodeId = (): string => `${os.hostname().slice(0, 48)}-${randomBytes(3).toString('hex')}`;

/** Who this process's node is; the id is made here when the configuration has none. */
export function nodeIdentity(config: Config): NodeIdentity {
  return {
    id: config.cluster.nodeId ?? newNodeId(),
    host: os.hostname(),
    address: `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`,
    version: RELEASE,
  };
}
