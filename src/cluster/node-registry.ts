import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';

/** What a node says about itself. */
export interface NodeIdentity {
  /** Shared by the processes of one `sextant server`. */
  id: string;
  host: string;
  /** Where it listens, as configured. */
  address: string;
  version: string;
}

/** A node as the table knows it. */
export interface NodeRecord extends NodeIdentity {
  startedAt: string;
  heartbeatAt: string;
}

/** Rows of nodes silent this long are removed (a node that died stays visible until then). */
const FORGET_MS = 3_600_000;

/**
 * The `nodes` table: each process of a node renews its node's row every third of the lease TTL,
 * so the row shows when the node last said it was alive. Nobody deletes a row on a clean stop
 * (the processes of a node stop one by one); rows silent for an hour are forgotten.
 */
export class NodeRegistry {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private self: NodeIdentity,
    private readonly everyMs: number,
  ) {}

  /** Says this node is alive, and forgets nodes silent for an hour. */
  async beat(): Promise<void> {
    const now = this.clock.now();
    const at = now.toISOString();
    await this.db
      .insertInto('nodes')
      .values({ id: this.self.id, host: this.self.host, address: this.self.address, version: this.self.version, started_at: at, heartbeat_at: at })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: at, address: this.self.address }))
      .execute();
    await this.db
      .deleteFrom('nodes')
      .where('heartbeat_at', '<', new Date(now.getTime() - FORGET_MS).toISOString())
      .execute();
  }

  /** Where this node turned out to listen (a port chosen by the system is known only then). */
  listening(address: string): void {
    this.self = { ...this.self, address };
  }

  async list(): Promise<NodeRecord[]> {
    const rows = await this.db.selectFrom('nodes').selectAll().orderBy('started_at').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, host: r.host, address: r.address, version: r.version, startedAt: r.started_at, heartbeatAt: r.heartbeat_at }));
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch((err) => this.logger.warn({ err }, 'node heartbeat failed')), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
