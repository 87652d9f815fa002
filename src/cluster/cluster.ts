import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { periodic } from '../shared/periodic.js';
import { type DB, type Lease, type LeaseStore, SqlLeaseStore } from '../storage/index.js';
import { LeaseKeeper } from './lease-keeper.js';
import { type NodeIdentity, type NodeRecord, NodeRegistry } from './node-registry.js';

/** The singleton tasks' lease names. */
export const LEASES = {
  scheduler: 'scheduler',
  promotions: 'promotions',
  retention: 'retention',
  slo: 'slo',
  partitions: 'prediction-partitions',
  outbox: 'outbox',
  monitor: (deployment: string) => `monitor:${deployment}`,
} as const;

/** A node with the leases its processes hold. */
export interface NodeStatus extends NodeRecord {
  /** Heard from within the lease TTL. */
  alive: boolean;
  leases: string[];
}

export interface LeaseStatus extends Lease {
  /** Not yet expired. */
  live: boolean;
}

export interface ClusterStatus {
  /** The node that answered. */
  self: string;
  leaseTtlMs: number;
  nodes: NodeStatus[];
  leases: LeaseStatus[];
}

export interface ClusterOptions {
  db: Kysely<DB>;
  clock: Clock;
  logger: Logger;
  identity: NodeIdentity;
  ttlMs: number;
  /** Whether this process runs background work, and so competes for leases. */
  background: boolean;
  /** Tells processes of one node apart (the process id). */
  process: string;
}

/**
 * This process's part in a cluster of nodes on one database: its node's heartbeat, and, where
 * background work runs, the lease keeper that decides which tasks this process does.
 */
export class Cluster {
  readonly nodes: NodeRegistry;
  readonly leases: LeaseStore;
  /** Null in a process that only serves: it does no singleton task. */
  readonly keeper: LeaseKeeper | null;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: ClusterOptions) {
    this.nodes = new NodeRegistry(options.db, options.clock, options.logger, options.identity, Math.max(100, Math.floor(options.ttlMs / 3)));
    this.leases = new SqlLeaseStore(options.db, options.clock);
    this.keeper = options.background
      ? new LeaseKeeper({
          store: this.leases,
          holder: { id: `${options.identity.id}/${options.process}`, node: options.identity.id },
          clock: options.clock,
          logger: options.logger,
          ttlMs: options.ttlMs,
        })
      : null;
  }

  /**
   * Runs `pass` when this process holds the lease `name`; a process that keeps no leases (one
   * that only serves) never runs it. Resolves with the pass's result, or undefined when skipped.
   */
  run<T>(name: string, pass: () => Promise<T>): Promise<T | undefined> {
    return this.keeper ? this.keeper.run(name, pass) : Promise.resolve(undefined);
  }

  /** Whether this process holds the lease now. */
  holds(name: string): boolean {
    return this.keeper?.holds(name) ?? false;
  }

  /** Competes for these leases (asked again every round: monitors come and go). */
  want(names: () => Promise<readonly string[]> | readonly string[]): void {
    this.keeper?.want(names);
  }

  /**
   * Runs `pass` every `everyMs` in the process holding `name`, and competes for it. A process that
   * takes the lease over runs the pass within a second rather than a whole interval later.
   */
  every(name: string, everyMs: number, pass: () => Promise<unknown>): void {
    if (!this.keeper) return;
    this.keeper.want(() => [name]);
    let last = -Infinity;
    this.timers.push(
      periodic(
        async () => {
          if (!this.holds(name) || Date.now() - last < everyMs) return;
          last = Date.now();
          await this.run(name, pass);
        },
        Math.min(everyMs, 1000),
        (err) => this.options.logger.warn({ err, lease: name }, 'singleton pass failed'),
      ),
    );
  }

  async start(): Promise<void> {
    await this.nodes.start();
    await this.keeper?.start();
  }

  /** Stops the passes and gives the leases back, so other nodes take the tasks over at once. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.nodes.stop();
    await this.keeper?.stop();
  }

  /** The nodes, when each was last heard from, and which holds which lease. */
  async status(): Promise<ClusterStatus> {
    const now = this.options.clock.now();
    const alive = new Date(now.getTime() - this.options.ttlMs).toISOString();
    const at = now.toISOString();
    const leases = (await this.leases.list()).filter((l) => !l.name.startsWith('member:')).map((l) => ({ ...l, live: l.expiresAt > at }));
    const nodes = (await this.nodes.list()).map((n) => ({
      ...n,
      alive: n.heartbeatAt > alive,
      leases: leases.filter((l) => l.live && l.node === n.id).map((l) => l.name),
    }));
    return { self: this.options.identity.id, leaseTtlMs: this.options.ttlMs, nodes, leases };
  }
}
