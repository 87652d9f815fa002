import { type Kysely, sql } from 'kysely';
import type { Batching, DeploymentSpec } from '../contracts/deployments.js';
import type { ModelFormat, Signature } from '../contracts/versions.js';
import type { FeatureBatch, Predictor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import { readChangeSeq } from '../storage/index.js';
import { Batcher } from './batcher.js';
import { effectiveRoutes } from './deployment-service.js';
import type { LoadedModel, ModelCache, VersionRecord } from './model-cache.js';
import type { ServingMetrics } from './serving-metrics.js';

export interface LiveRoute {
  version: number;
  weight: number;
  role: 'primary' | 'canary';
  model: LoadedModel;
  batcher: Batcher | null;
}

/** A deployment as this process serves it: everything resolved and loaded, no database needed. */
export interface LiveDeployment {
  name: string;
  model: string;
  modelId: string;
  spec: DeploymentSpec;
  routes: LiveRoute[];
  /** Routes with weight above 0, and the running sum of their weights, for weighted picking. */
  active: LiveRoute[];
  cumulative: number[];
  shadows: LoadedModel[];
}

/** FNV-1a: a stable bucket for sticky routing. */
function bucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 0) % 10_000) / 100;
}

/** Picks a route by weight (random, or stable per sticky key). */
export function pickRoute(d: LiveDeployment, stickyKey?: string): LiveRoute {
  const active = d.active;
  if (active.length === 0) throw new AppError('unavailable', `deployment ${d.name} has no version taking traffic`);
  const total = d.cumulative[d.cumulative.length - 1]!;
  const x = (stickyKey === undefined ? Math.random() * 100 : bucket(stickyKey)) * (total / 100);
  let lo = 0;
  while (lo < d.cumulative.length - 1 && x >= d.cumulative[lo]!) lo++;
  return active[lo]!;
}

function warmRow(p: Predictor): FeatureBatch {
  return { rows: 1, columns: p.features.map((f) => (f.type === 'string' ? [''] : new Float64Array(1))) };
}

const sameBatching = (a: Batching | null, b: Batching | null) => JSON.stringify(a) === JSON.stringify(b);

const versionRecord = (model: string, r: { version: number | string; digest: string; format: string; signature: string | null }): VersionRecord => ({
  model,
  version: Number(r.version),
  digest: r.digest,
  format: r.format as ModelFormat,
  signature: r.signature ? (JSON.parse(r.signature) as Signature) : null,
});

/**
 * The routing tables of this process. A poll of the change sequence (≤ 250 ms on SQLite), or a
 * PostgreSQL notification (`nudge`), notices any deployment, alias or status change; the new
 * table is built with every model loaded and warmed before it replaces the old one in a single
 * assignment, so requests never see a half-built state.
 */
export class LiveDeployments {
  private table = new Map<string, LiveDeployment>();
  /** Records of versions asked for directly (bypassing routing), so repeats skip the database. */
  private directRecords = new Map<string, VersionRecord>();
  private seq = -1;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private catchingUp: Promise<void> | undefined;
  private caughtUpAt = 0;
  private nudging: Promise<void> | undefined;
  private nudgedAgain = false;
  /** Set when the last refresh failed for a deployment; cleared when it succeeds. */
  readonly problems = new Map<string, string>();

  constructor(
    private readonly deps: {
      db: Kysely<DB>;
      cache: ModelCache;
      logger: Logger;
      metrics: ServingMetrics;
      pollMs: number;
    },
  ) {}

  /** Whether this process serves (keeps a routing table); a jobs-only process never starts it. */
  get started(): boolean {
    return this.timer !== undefined;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.poll(), this.deps.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get(name: string): LiveDeployment | undefined {
    return this.table.get(name);
  }

  all(): LiveDeployment[] {
    return [...this.table.values()];
  }

  /** Rebuilds when the sequence moved; `announced` is a number a notification carried, read instead of the database's at first. */
  private async poll(announced?: number): Promise<void> {
    try {
      // A rebuild already running may have read the sequence before this change: look again after it.
      for (let round = 0; round < 3; round++) {
        const seq = round === 0 && announced !== undefined ? announced : await readChangeSeq(this.deps.db);
        if (seq === this.seq || (round === 0 && announced !== undefined && seq < this.seq)) return;
        await this.refresh();
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'routing refresh failed; serving the previous table');
    }
  }

  /**
   * Another process changed serving state (a PostgreSQL notification, carrying the new change
   * number when known): looks now, and once more when a notification arrives during a look, so the
   * last change is never left to the next poll.
   */
  nudge(seq?: number): void {
    if (!this.started) return;
    if (this.nudging) {
      this.nudgedAgain = true;
      return;
    }
    this.nudging = this.poll(seq).finally(() => {
      this.nudging = undefined;
      if (this.nudgedAgain) {
        this.nudgedAgain = false;
        this.nudge();
      }
    });
  }

  /**
   * Looks at the change sequence now instead of at the next poll, and rebuilds if it moved: a
   * deployment created a moment ago through another process is served at once, not answered
   * "not found" until this one polls. Names nobody created cost one cheap read per 20 ms at
   * most, however many requests carry them.
   */
  catchUp(): Promise<void> {
    if (this.catchingUp) return this.catchingUp;
    const now = Date.now();
    if (!this.started || now - this.caughtUpAt < 20) return Promise.resolve();
    this.caughtUpAt = now;
    this.catchingUp = this.poll().finally(() => (this.catchingUp = undefined));
    return this.catchingUp;
  }

  /** Rebuilds the table from the database; concurrent calls share one rebuild. */
  refresh(): Promise<void> {
    this.refreshing ??= this.rebuild().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Records of these versions: those the snapshot brought (`known`), the rest read now. */
  private async records(modelId: string, modelName: string, versions: number[], known: ReadonlyMap<number, VersionRecord> = new Map()): Promise<Map<number, VersionRecord>> {
    const out = new Map<number, VersionRecord>();
    const missing = versions.filter((v) => {
      const rec = known.get(v);
      if (rec) out.set(v, rec);
      return !rec;
    });
    if (missing.length === 0) return out;
    const rows = await this.deps.db
      .selectFrom('model_versions')
      .select(['version', 'digest', 'format', 'signature'])
      .where('model_id', '=', modelId)
      .where('version', 'in', missing)
      .execute();
    for (const r of rows) out.set(Number(r.version), versionRecord(modelName, r));
    return out;
  }

  /**
   * The change number, every deployment, the aliases of their models and the records of the
   * versions those aliases name, in one statement: one snapshot on both engines, and one round
   * trip, which is most of a rebuild's time on a busy database. A record is read afresh each time:
   * a version's personal-data marks (its signature) can change.
   */
  private async snapshot() {
    const rows = await this.deps.db
      .selectFrom('change_seq as c')
      .leftJoin('deployments as d', (j) => j.on(sql<boolean>`1 = 1`))
      .leftJoin('models as m', 'm.id', 'd.model_id')
      .leftJoin('aliases as a', 'a.model_id', 'd.model_id')
      .leftJoin('model_versions as v', (j) => j.onRef('v.model_id', '=', 'a.model_id').onRef('v.version', '=', 'a.version'))
      .select(['c.seq', 'd.name', 'd.spec', 'm.id as modelId', 'm.name as model', 'a.alias', 'a.version', 'v.digest', 'v.format', 'v.signature'])
      .where('c.id', '=', 1)
      .execute();
    const specs = new Map<string, { name: string; modelId: string; model: string; spec: DeploymentSpec; aliases: Map<string, number>; records: Map<number, VersionRecord> }>();
    for (const r of rows) {
      if (r.name === null || r.modelId === null || r.model === null || r.spec === null) continue;
      let s = specs.get(r.name);
      if (!s) specs.set(r.name, (s = { name: r.name, modelId: r.modelId, model: r.model, spec: JSON.parse(r.spec) as DeploymentSpec, aliases: new Map(), records: new Map() }));
      if (r.alias === null || r.version === null) continue;
      s.aliases.set(r.alias, Number(r.version));
      if (r.digest !== null && r.format !== null) s.records.set(Number(r.version), versionRecord(r.model, { version: r.version, digest: r.digest, format: r.format, signature: r.signature }));
    }
    return { seq: Number(rows[0]?.seq ?? 0), specs: [...specs.values()] };
  }

  private async load(rec: VersionRecord | undefined, what: string): Promise<LoadedModel> {
    if (!rec) throw new AppError('not_found', `${what} not found`);
    const m = await this.deps.cache.get(rec);
    if (!m.warmed) {
      await m.predictor.predict(warmRow(m.predictor)).catch(() => {});
      m.warmed = true;
    }
    return m;
  }

  private async rebuild(): Promise<void> {
    const { seq, specs } = await this.snapshot();
    const next = new Map<string, LiveDeployment>();
    for (const s of specs) {
      try {
        let aliasVersion: number | null = null;
        if (s.spec.alias) {
          const a = s.aliases.get(s.spec.alias);
          if (a === undefined) throw new AppError('not_found', `alias ${s.spec.alias} of model ${s.model} not found`);
          aliasVersion = a;
        }
        const routesSpec = effectiveRoutes(s.spec, aliasVersion);
        const wanted = [...new Set([...routesSpec.map((r) => r.version), ...s.spec.shadow])];
        const recs = await this.records(s.modelId, s.model, wanted, s.records);
        const previous = this.table.get(s.name);
        const routes: LiveRoute[] = [];
        for (const r of routesSpec) {
          const model = await this.load(recs.get(r.version), `version ${r.version} of model ${s.model}`);
          const old = previous?.routes.find((p) => p.model === model);
          const batcher =
            s.spec.batching === null
              ? null
              : old?.batcher && sameBatching(previous!.spec.batching, s.spec.batching)
                ? old.batcher
                : new Batcher(
                    model.predictor,
                    s.spec.batching.maxBatchSize,
                    s.spec.batching.maxLatencyMs,
                    (rows) => this.deps.metrics.batchSize.labels(s.name).observe(rows),
                    (depth) => this.deps.metrics.queueDepth.labels(s.name).set(depth),
                  );
          routes.push({ version: r.version, weight: r.weight, role: r.role, model, batcher });
        }
        const shadows = await Promise.all(s.spec.shadow.map((v) => this.load(recs.get(v), `shadow version ${v} of model ${s.model}`)));
        const cumulative: number[] = [];
        let sum = 0;
        for (const r of routes) if (r.weight > 0) cumulative.push((sum += r.weight));
        const active = routes.filter((r) => r.weight > 0);
        next.set(s.name, { name: s.name, model: s.model, modelId: s.modelId, spec: s.spec, routes, active, cumulative, shadows });
        this.problems.delete(s.name);
      } catch (err) {
        // Keep serving what worked before; report why the new state could not load.
        const previous = this.table.get(s.name);
        if (previous) next.set(s.name, previous);
        this.problems.set(s.name, (err as Error).message);
        this.deps.logger.error({ err, deployment: s.name }, 'deployment could not be (re)loaded');
      }
    }
    this.table = next;
    this.seq = seq;
    this.deps.metrics.routingSeq.set(seq);
    this.deps.metrics.routingRefreshed.set(Date.now() / 1000);
    this.deps.metrics.routingSeq.set(seq);
    this.deps.metrics.routingRefreshed.set(Date.now() / 1000);
    // A status change or new artifact invalidates what direct requests remembered.
    this.directRecords.clear();
    const pinned = new Set<LoadedModel>();
    for (const d of next.values()) {
      for (const r of d.routes) pinned.add(r.model);
      for (const m of d.shadows) pinned.add(m);
    }
    await this.deps.cache.evict(pinned);
    this.deps.metrics.loadedModels.set(this.deps.cache.size);
    this.deps.metrics.loadedBytes.set(this.deps.cache.bytes);
  }

  /** Loads a specific version of a deployment's model, bypassing routing (`/versions/{v}`). */
  async direct(d: LiveDeployment, version: number): Promise<LoadedModel> {
    const inTable = d.routes.find((r) => r.version === version)?.model ?? d.shadows.find((m) => m.version === version);
    if (inTable) return inTable;
    const key = `${d.modelId}:${version}`;
    let rec = this.directRecords.get(key);
    if (!rec) {
      rec = (await this.records(d.modelId, d.model, [version])).get(version);
      if (rec) this.directRecords.set(key, rec);
    }
    return this.load(rec, `version ${version} of model ${d.model}`);
  }
}
