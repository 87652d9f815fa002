import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { LeaseHolder, LeaseStore } from '../storage/index.js';

/** The lease every keeper holds on itself while it runs, so keepers can count each other. */
const MEMBER = 'member:';

export interface LeaseKeeperOptions {
  store: LeaseStore;
  holder: LeaseHolder;
  clock: Clock;
  logger: Logger;
  /** A lease lives this long after its last renewal (default 10 s). */
  ttlMs: number;
  /** How often leases are renewed and free ones looked for (default a tenth of the TTL). */
  pollMs?: number;
}

/** FNV-1a would do; sha256 spreads short names better and runs a few times a second. */
const score = (name: string, holder: string) => createHash('sha256').update(`${name}\u0000${holder}`).digest().readUInt32BE(0);

/**
 * Holds this process's share of the singleton tasks' leases. Every `pollMs` it renews what it
 * holds and takes free leases up to its fair share (the wanted tasks divided by the live keepers,
 * rounded up); a keeper above its share gives the surplus back, so a node that joins gets work
 * and a node that dies has its leases taken by the others once they expire. Which free leases a
 * keeper goes for first is decided by a hash of lease and keeper (rendezvous hashing), so keepers
 * reaching for free leases at the same moment mostly reach for different ones.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, number>();
  /** A lease counts as held until this time: when the last successful claim began, plus the TTL. */
  private validUntil = 0;
  private readonly busy = new Map<string, number>();
  private readonly sources: (() => Promise<readonly string[]> | readonly string[])[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly pollMs: number;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.pollMs = options.pollMs ?? Math.max(50, Math.floor(options.ttlMs / 10));
  }

  get holder(): LeaseHolder {
    return this.options.holder;
  }

  /** Adds tasks this keeper competes for; `names` is asked again every round (monitors come and go). */
  want(names: () => Promise<readonly string[]> | readonly string[]): void {
    this.sources.push(names);
  }

  /** Whether this process holds the lease now (and its TTL has not run out since the last renewal). */
  holds(name: string): boolean {
    return this.held.has(name) && this.options.clock.now().getTime() < this.validUntil;
  }

  /** The leases held now. */
  heldNames(): string[] {
    return [...this.held.keys()].filter((n) => !n.startsWith(MEMBER) && this.holds(n));
  }

  /**
   * Runs `pass` if this process holds `name`, and keeps the lease from being given back to
   * balance the work while it runs. Resolves with the pass's result, or undefined when not held.
   */
  async run<T>(name: string, pass: () => Promise<T>): Promise<T | undefined> {
    if (!this.holds(name)) return undefined;
    this.busy.set(name, (this.busy.get(name) ?? 0) + 1);
    try {
      return await pass();
    } finally {
      const n = this.busy.get(name)! - 1;
      if (n === 0) this.busy.delete(name);
      else this.busy.set(name, n);
    }
  }

  /** Claims at once, then every `pollMs`. */
  async start(): Promise<void> {
    await this.tick().catch((err) => this.options.logger.warn({ err }, 'lease round failed'));
    this.timer = setInterval(() => {
      this.ticking ??= this.tick()
        .catch((err) => this.options.logger.warn({ err }, 'lease round failed'))
        .finally(() => (this.ticking = undefined));
    }, this.pollMs);
    this.timer.unref();
  }

  /** Stops renewing and gives every lease back, so others take over now rather than after the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    this.held.clear();
    await this.options.store.release(this.options.holder).catch((err) => this.options.logger.warn({ err }, 'could not give the leases back'));
  }

  /** One round: renew, take up to the fair share, give one back above it. */
  async tick(): Promise<void> {
    const { store, holder, clock, ttlMs } = this.options;
    const started = clock.now().getTime();
    const wanted = new Set<string>();
    for (const source of this.sources) for (const n of await source()) wanted.add(n);
    const leases = await store.list();
    const now = clock.now().toISOString();
    const live = leases.filter((l) => l.expiresAt > now);
    const keepers = new Set(live.filter((l) => l.name.startsWith(MEMBER)).map((l) => l.holder));
    keepers.add(holder.id);
    const share = Math.ceil(wanted.size / keepers.size);
    const mine = [...wanted].filter((n) => this.held.has(n));
    const takenByOthers = new Set(live.filter((l) => l.holder !== holder.id).map((l) => l.name));
    const free = [...wanted]
      .filter((n) => !this.held.has(n) && !takenByOthers.has(n))
      .sort((a, b) => score(b, holder.id) - score(a, holder.id));
    const claim = [`${MEMBER}${holder.id}`, ...mine, ...free.slice(0, Math.max(0, share - mine.length))];
    // Above the share (a keeper joined, or there are fewer tasks): give back the idle leases this
    // keeper ranks lowest; the others take them in their next round.
    const surplus = mine.length - share;
    const giveBack = new Set(
      surplus > 0
        ? mine
            .filter((n) => !this.busy.has(n))
            .sort((x, y) => score(x, holder.id) - score(y, holder.id))
            .slice(0, surplus)
        : [],
    );
    const unwanted = [...this.held.keys()].filter((n) => !n.startsWith(MEMBER) && !wanted.has(n));
    const got = await store.claim(
      holder,
      claim.filter((n) => !giveBack.has(n)),
      ttlMs,
    );
    for (const n of mine) if (!got.has(n) && !giveBack.has(n)) this.options.logger.warn({ lease: n }, 'lease lost to another process (this one stalled past its TTL)');
    this.held.clear();
    for (const [n, term] of got) this.held.set(n, term);
    this.validUntil = started + ttlMs;
    const released = [...unwanted, ...giveBack];
    if (released.length > 0) await store.release(holder, released);
  }
}
