import type { Kysely } from 'kysely';
import {
  CanaryRequest,
  CreateDeploymentRequest,
  type Deployment,
  DeploymentSpec,
  UpdateDeploymentRequest,
} from '../contracts/deployments.js';
import { DeploymentName } from '../contracts/deployments.js';
import type { Approval, ApprovalRequested } from '../contracts/approvals.js';
import type { AliasService, ModelService } from '../registry/index.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, DeploymentsTable, ModelsTable, Writes, WriteTx } from '../storage/index.js';
import { isUniqueViolation } from '../storage/index.js';

export interface LastEvent {
  time: string;
  action: string;
  reason: string | null;
}

type Change = Actor & { reason?: string | null };

/** A change of a deployment's spec, inside its write. */
type SpecChange = (spec: DeploymentSpec, tx: WriteTx, model: ModelsTable) => Promise<DeploymentSpec> | DeploymentSpec;

/** Effective split: primaries share what the canary leaves, the canary takes its weight. */
export function effectiveRoutes(spec: DeploymentSpec, aliasVersion: number | null): Deployment['routes'] {
  const primaries = spec.alias !== undefined ? (aliasVersion === null ? [] : [{ version: aliasVersion, weight: 100 }]) : spec.versions!;
  const total = primaries.reduce((s, v) => s + v.weight, 0);
  const canaryWeight = spec.canary?.weight ?? 0;
  const share = 100 - canaryWeight;
  const routes: Deployment['routes'] = primaries.map((p) => ({ version: p.version, weight: total > 0 ? (p.weight / total) * share : 0, role: 'primary' }));
  if (spec.canary) routes.push({ version: spec.canary.version, weight: canaryWeight, role: 'canary' });
  return routes;
}

/** Names of the deployments serving a model (the registry refuses to delete it while any do). */
export async function deploymentsOfModel(db: Kysely<DB>, modelName: string): Promise<string[]> {
  const rows = await db.selectFrom('deployments as d').innerJoin('models as m', 'm.id', 'd.model_id').select('d.name').where('m.name', '=', modelName).execute();
  return rows.map((r) => r.name);
}

/** Names of the deployments that follow `alias` of a model. */
export async function deploymentsFollowingAlias(db: Kysely<DB>, modelName: string, alias: string): Promise<string[]> {
  const rows = await db.selectFrom('deployments as d').innerJoin('models as m', 'm.id', 'd.model_id').select(['d.name', 'd.spec']).where('m.name', '=', modelName).execute();
  return rows.filter((r) => (JSON.parse(r.spec) as { alias?: string }).alias === alias).map((r) => r.name);
}

/** Names of the deployments whose routes (alias target, pinned versions or canary) include `version`. */
export async function deploymentsServingVersion(db: Kysely<DB>, modelName: string, version: number): Promise<string[]> {
  const rows = await db
    .selectFrom('deployments as d')
    .innerJoin('models as m', 'm.id', 'd.model_id')
    .leftJoin('aliases as a', (j) => j.onRef('a.model_id', '=', 'm.id'))
    .select(['d.name', 'd.spec', 'a.alias', 'a.version'])
    .where('m.name', '=', modelName)
    .execute();
  const out = new Set<string>();
  for (const r of rows) {
    const spec = JSON.parse(r.spec) as DeploymentSpec;
    if (spec.alias !== undefined && spec.alias !== r.alias) continue;
    const aliasVersion = spec.alias !== undefined && r.version !== null ? Number(r.version) : null;
    if (effectiveRoutes(spec, aliasVersion).some((route) => route.version === version)) out.add(r.name);
  }
  return [...out];
}

/** Deployments: named endpoints over a model's versions. Every change bumps the change sequence. */
export class DeploymentService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly models: ModelService,
    private readonly aliases: AliasService,
  ) {}

  private async row(name: string, db: Kysely<DB> = this.db): Promise<DeploymentsTable> {
    parseInput(DeploymentName, name, 'deployment');
    const row = await db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new AppError('not_found', `deployment ${name} not found`, { deployment: name });
    return row;
  }

  private async describe(row: DeploymentsTable, db: Kysely<DB> = this.db): Promise<Deployment> {
    const spec = JSON.parse(row.spec) as DeploymentSpec;
    const model = await db.selectFrom('models').select(['id', 'name']).where('id', '=', row.model_id).executeTakeFirstOrThrow();
    let aliasVersion: number | null = null;
    if (spec.alias) {
      const a = await db.selectFrom('aliases').select('version').where('model_id', '=', model.id).where('alias', '=', spec.alias).executeTakeFirst();
      aliasVersion = a ? Number(a.version) : null;
    }
    return {
      name: row.name,
      model: model.name,
      alias: spec.alias ?? null,
      versions: spec.versions ?? null,
      canary: spec.canary,
      shadow: spec.shadow,
      batching: spec.batching,
      slo: spec.slo,
      stickyHeader: spec.stickyHeader,
      // Specs stored before logging existed read as the default.
      logging: spec.logging ?? { sampleRate: 1, redact: [] },
      routes: effectiveRoutes(spec, aliasVersion),
      lastEvent: row.last_event ? (JSON.parse(row.last_event) as LastEvent) : null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** Checks that every version the spec names exists and is servable. */
  private async checkVersions(trx: Kysely<DB>, model: ModelsTable, spec: DeploymentSpec): Promise<void> {
    const wanted = [...(spec.versions ?? []).map((v) => v.version), ...(spec.canary ? [spec.canary.version] : []), ...spec.shadow];
    for (const version of new Set(wanted)) {
      const v = await trx.selectFrom('model_versions').select('status').where('model_id', '=', model.id).where('version', '=', version).executeTakeFirst();
      if (!v) throw new AppError('not_found', `version ${version} of model ${model.name} not found`, { model: model.name, version });
      if (v.status === 'archived') throw new AppError('conflict', `version ${version} of model ${model.name} is archived and cannot serve`);
    }
    if (spec.alias) await this.aliases.resolveNumber(model, spec.alias, trx);
  }

  async get(name: string): Promise<Deployment> {
    return this.describe(await this.row(name));
  }

  async list(): Promise<Deployment[]> {
    const rows = await this.db.selectFrom('deployments').selectAll().orderBy('name').execute();
    return Promise.all(rows.map((r) => this.describe(r)));
  }

  /** Specs of every deployment, for the serving layer's routing tables. */
  async specs(): Promise<{ name: string; modelId: string; model: string; spec: DeploymentSpec }[]> {
    const rows = await this.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .select(['d.name', 'd.spec', 'm.id as modelId', 'm.name as model'])
      .execute();
    return rows.map((r) => ({ name: r.name, modelId: r.modelId, model: r.model, spec: JSON.parse(r.spec) as DeploymentSpec }));
  }


  async create(input: CreateDeploymentRequest, by: Actor): Promise<Deployment> {
    const req = parseInput(CreateDeploymentRequest, input);
    const { name, ...rest } = req;
    const spec = parseInput(DeploymentSpec, { ...rest, canary: null });
    try {
      return await this.writes.run({
        by,
        permission: { role: 'deployer', model: spec.model },
        apply: async (tx) => {
          const model = await this.models.row(spec.model, tx.db);
          await this.checkVersions(tx.db, model, spec);
          const row: DeploymentsTable = { name, model_id: model.id, spec: JSON.stringify(spec), last_event: null, created_at: tx.now, updated_at: tx.now };
          await tx.db.insertInto('deployments').values(row).execute();
          tx.changed();
          const d = await this.describe(row, tx.db);
          tx.audit({ action: 'deployment.create', target: `deployment:${name}`, after: d });
          return d;
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('already_exists', `deployment ${name} already exists`, { deployment: name });
      throw err;
    }
  }

  /** The model a deployment serves (a deployer's grant on it governs the deployment); 404 names the deployment. */
  async modelOf(name: string): Promise<string> {
    parseInput(DeploymentName, name, 'deployment');
    const row = await this.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .select('m.name')
      .where('d.name', '=', name)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `deployment ${name} not found`, { deployment: name });
    return row.name;
  }

  /** Applies `change` to the spec in its own write (a deployer's on the deployment's model, unless internal). */
  private async change(name: string, by: Change, action: string, change: SpecChange, internal = false): Promise<Deployment> {
    return this.writes.run({
      by,
      permission: internal ? 'internal' : { role: 'deployer', model: await this.modelOf(name) },
      apply: (tx) => this.changeIn(tx, name, by, action, change),
    });
  }

  /**
   * Applies `change` to the spec inside an open write: validates it, stores it with the last
   * event, audits `deployment.<action>` and bumps the change sequence.
   */
  async changeIn(tx: WriteTx, name: string, by: Change, action: string, change: SpecChange): Promise<Deployment> {
    const trx = tx.db;
    const row = await this.row(name, trx);
    const model = await trx.selectFrom('models').selectAll().where('id', '=', row.model_id).executeTakeFirstOrThrow();
    const before = await this.describe(row, trx);
    const spec = parseInput(DeploymentSpec, await change(JSON.parse(row.spec) as DeploymentSpec, tx, model));
    await this.checkVersions(trx, model, spec);
    const lastEvent: LastEvent = { time: tx.now, action, reason: by.reason ?? null };
    const next = { ...row, spec: JSON.stringify(spec), last_event: JSON.stringify(lastEvent), updated_at: tx.now };
    await trx.updateTable('deployments').set({ spec: next.spec, last_event: next.last_event, updated_at: tx.now }).where('name', '=', name).execute();
    tx.changed();
    const after = await this.describe(next, trx);
    tx.audit({ actor: by.actor, requestId: by.requestId ?? null, action: `deployment.${action}`, target: `deployment:${name}`, before, after, reason: by.reason });
    return after;
  }

  async update(name: string, input: UpdateDeploymentRequest, by: Actor): Promise<Deployment> {
    const req = parseInput(UpdateDeploymentRequest, input);
    return this.change(name, by, 'update', (spec) => {
      const next = { ...spec, ...req } as DeploymentSpec;
      if (req.alias !== undefined) delete next.versions;
      if (req.versions !== undefined) delete next.alias;
      return next;
    });
  }

  /** Sends `weight` percent of traffic to `version` (0 keeps it loaded but idle). */
  async canary(name: string, input: CanaryRequest, by: Actor): Promise<Deployment> {
    const req = parseInput(CanaryRequest, input);
    return this.change(name, { ...by, reason: req.reason }, 'canary', (spec) => ({ ...spec, canary: { version: req.version, weight: req.weight } }));
  }

  /**
   * Makes the canary the primary: moves the alias (alias mode) or pins it at 100 %. When the
   * followed alias is protected, answers the approval request instead; the canary keeps its share
   * until the decision.
   */
  async promote(name: string, by: Actor & { reason?: string }): Promise<Deployment | ApprovalRequested> {
    return this.writes.run({
      by,
      permission: { role: 'deployer', model: await this.modelOf(name) },
      apply: async (tx) => {
        const row = await this.row(name, tx.db);
        const spec = JSON.parse(row.spec) as DeploymentSpec;
        if (spec.alias && spec.canary) {
          const model = await tx.db.selectFrom('models').selectAll().where('id', '=', row.model_id).executeTakeFirstOrThrow();
          const reason = by.reason ?? `promoted canary of deployment ${name}`;
          const pending = await this.aliases.gate.check(tx, {
            model: model.name,
            alias: spec.alias,
            version: spec.canary.version,
            fromVersion: await this.aliases.current(tx.db, model, spec.alias),
            action: 'deployment.promote',
            input: { deployment: name, reason },
            reason,
          });
          if (pending) return { approval: pending };
        }
        return this.changeIn(tx, name, by, 'promote', this.promotion(name, by));
      },
    });
  }

  /** Replays an approved promotion inside the approving write; refused when the canary changed since. */
  async promoteApproved(tx: WriteTx, approval: Approval, input: Record<string, unknown>, by: Change): Promise<void> {
    const name = String(input.deployment);
    const spec = JSON.parse((await this.row(name, tx.db)).spec) as DeploymentSpec;
    if (spec.alias !== approval.alias || spec.canary?.version !== approval.version) {
      throw new AppError('conflict', `stale: deployment ${name} no longer has version ${approval.version} as the canary of ${approval.model}@${approval.alias}; request the promotion again`, { approval: approval.id });
    }
    await this.changeIn(tx, name, by, 'promote', this.promotion(name, by));
  }

  /** The promote change: the canary's version takes the followed alias, or all the traffic. */
  private promotion(name: string, by: Change): SpecChange {
    return async (spec, tx, model) => {
      if (!spec.canary) throw new AppError('conflict', `deployment ${name} has no canary to promote`);
      if (spec.alias) {
        await this.aliases.moveIn(tx, model, spec.alias, spec.canary.version, { ...by, reason: by.reason ?? `promoted canary of deployment ${name}` });
        return { ...spec, canary: null };
      }
      return { ...spec, versions: [{ version: spec.canary.version, weight: 100 }], canary: null };
    };
  }


  /** Removes the canary; all traffic returns to the primary versions. */
  async abort(name: string, by: Actor & { reason?: string }): Promise<Deployment> {
    return this.change(name, by, 'abort', (spec) => {
      if (!spec.canary) throw new AppError('conflict', `deployment ${name} has no canary to abort`);
      return { ...spec, canary: null };
    });
  }

  /**
   * The SLO guard's action: the canary keeps its place but gets no traffic, and
   * `deployment.slo_rollback` tells subscribers why (with the guard's evidence).
   */
  async zeroCanary(name: string, version: number, reason: string, evidence: Record<string, unknown> = {}): Promise<Deployment | null> {
    const current = JSON.parse((await this.row(name)).spec) as DeploymentSpec;
    if (!current.canary || current.canary.version !== version || current.canary.weight === 0) return null;
    const zero: SpecChange = (spec, tx) => {
      tx.emit({ type: 'deployment.slo_rollback', subject: name, data: { deployment: name, version, reason, ...evidence } });
      return { ...spec, canary: spec.canary ? { ...spec.canary, weight: 0 } : null };
    };
    return this.change(name, { actor: 'slo-guard', reason }, 'slo-rollback', zero, true);
  }

  async delete(name: string, by: Actor & { reason?: string }): Promise<void> {
    await this.writes.run({
      by,
      permission: { role: 'deployer', model: await this.modelOf(name) },
      apply: async (tx) => {
        const row = await this.row(name, tx.db);
        const before = await this.describe(row, tx.db);
        await tx.db.deleteFrom('deployments').where('name', '=', name).execute();
        tx.changed();
        tx.audit({ action: 'deployment.delete', target: `deployment:${name}`, before, after: null, reason: by.reason });
      },
    });
  }
}
