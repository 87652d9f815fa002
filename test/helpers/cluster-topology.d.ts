import type { ChildProcess } from 'node:child_process';

export interface TopologyProcess {
  child: ChildProcess;
  pid: number | undefined;
  exited: Promise<number | string | null>;
  /** The tail of what it printed. */
  output(): string;
}

export interface TopologyNode {
  name: string;
  /** Its network namespace, null on loopback. */
  ns: string | null;
  host: string;
  port: number;
  url: string;
  process: TopologyProcess | null;
  /** Starts it (again); `env` adds to its environment; without `waitReady` it resolves at once. */
  start(env?: Record<string, string>, options?: { waitReady?: boolean }): Promise<TopologyProcess>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (drain), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

export interface Topology {
  mode: 'netns' | 'loopback';
  /** Why namespaces were not used (null when they were). */
  why: string | null;
  tmp: string;
  /** The host side of the bridge (or 127.0.0.1). */
  hostIp: string;
  /** HAProxy in front of the nodes. */
  lbUrl: string;
  /** PostgreSQL as this process reaches it, and the schema the topology owns. */
  databaseUrl: string;
  /** PostgreSQL as the nodes reach it. */
  nodeDatabaseUrl: string;
  schema: string;
  natsUrl: string;
  s3Endpoint: string;
  /** An admin token. */
  token: string;
  nodes: TopologyNode[];
  node(name: string): TopologyNode | undefined;
  stop(): Promise<void>;
}

export function namespacesUnavailable(): Promise<string | null>;

export function freePort(host: string): Promise<number>;

export function startProcess(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; ready: RegExp | null; timeoutMs?: number; what: string },
): Promise<TopologyProcess & { match?: RegExpExecArray }>;

export function stopProcess(p: TopologyProcess | null | undefined, graceMs?: number): Promise<void>;

export function startTopology(options?: { nodes?: string[]; env?: Record<string, string>; pgUrl?: string; loopback?: boolean }): Promise<Topology>;
