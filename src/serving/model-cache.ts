import type { ModelFormat, Signature } from '../contracts/versions.js';
import type { Predictor } from '../runtime/index.js';

/** A loaded version: its predictor plus the bookkeeping hot swap and eviction need. */
export interface LoadedModel {
  model: string;
  version: number;
  digest: string;
  format: ModelFormat;
  predictor: Predictor;
  /** Inputs the signature marks as personal data (the log keeps their keyed hash). */
  pii: readonly string[];
  /** Requests running on it now; it is released only at zero. */
  inflight: number;
  lastUsed: number;
  /** Has answered one warm-up call (the first call of some runtimes allocates). */
  warmed: boolean;
}

export interface VersionRecord {
  model: string;
  version: number;
  digest: string;
  format: ModelFormat;
  signature: Signature | null;
}

const piiOf = (v: VersionRecord): string[] => (v.signature?.inputs ?? []).filter((i) => i.pii).map((i) => i.name);

/**
 * Loaded models keyed by version digest + format, bounded by approximate memory. Eviction skips
 * models the routing tables still hold or that have requests in flight.
 */
export class ModelCache {
  private readonly entries = new Map<string, Promise<LoadedModel>>();
  private readonly ready = new Map<string, LoadedModel>();

  constructor(
    private readonly load: (v: VersionRecord) => Promise<Predictor>,
    private readonly maxBytes: number,
    private readonly onRelease: (m: LoadedModel, err?: unknown) => void = () => {},
  ) {}

  private key(v: VersionRecord): string {
    // Personal-data marks can change on a registered version; a change loads it afresh.
    return `${v.digest}:${v.format}:${v.model}:${v.version}:${piiOf(v).join(',')}`;
  }

  /** Loads (once) and returns the model for a version. */
  get(v: VersionRecord): Promise<LoadedModel> {
    const key = this.key(v);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.load(v).then((predictor) => {
        const m: LoadedModel = { model: v.model, version: v.version, digest: v.digest, format: v.format, predictor, pii: piiOf(v), inflight: 0, lastUsed: Date.now(), warmed: false };
        this.ready.set(key, m);
        return m;
      });
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
    }
    return entry;
  }

  get size(): number {
    return this.ready.size;
  }

  get bytes(): number {
    let total = 0;
    for (const m of this.ready.values()) total += m.predictor.bytes;
    return total;
  }

  /** Drops least-recently-used models not in `pinned` and idle, until under the memory bound. */
  async evict(pinned: Set<LoadedModel>): Promise<void> {
    if (this.bytes <= this.maxBytes) return;
    const candidates = [...this.ready.entries()].filter(([, m]) => !pinned.has(m)).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, m] of candidates) {
      if (this.bytes <= this.maxBytes) break;
      if (m.inflight > 0) continue;
      this.ready.delete(key);
      this.entries.delete(key);
      await m.predictor.release().then(
        () => this.onRelease(m),
        (err) => this.onRelease(m, err),
      );
    }
  }

  async close(): Promise<void> {
    for (const m of this.ready.values()) await m.predictor.release().catch(() => {});
    this.ready.clear();
    this.entries.clear();
  }
}
