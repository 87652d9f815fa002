import type { Kysely } from 'kysely';
import type { AliasPeriod } from '../contracts/aliases.js';
import { CardFields, type ModelCard } from '../contracts/cards.js';
import type { FeatureImportance } from '../contracts/explanations.js';
import type { StoredFairnessReport } from '../contracts/fairness.js';
import type { Model } from '../contracts/models.js';
import type { ValidationResult } from '../contracts/pipelines.js';
import type { ModelVersion } from '../contracts/versions.js';
import { AppError } from '../shared/app-error.js';
import { type Clock, isoNow } from '../shared/clock.js';
import { parseInput } from '../shared/parse.js';
import type { DB, Writes } from '../storage/index.js';
import type { Actor } from '../shared/actor.js';

/** One monitor window of a deployment routing to the version: realised quality and its estimate. */
export interface CardWindow {
  deployment: string;
  windowStart: string;
  windowEnd: string;
  rows: number;
  measured: Record<string, number | null> | null;
  estimated: Record<string, number | null> | null;
  alert: string[];
}

/** One monitor window's business value per 1,000 predictions (see docs/business-value.md). */
export interface CardValueWindow {
  deployment: string;
  windowEnd: string;
  labelledRows: number;
  measuredPer1000: number | null;
  estimatedPer1000: number | null;
  /** The estimate's 95 % band per 1,000 predictions. */
  band: [number, number] | null;
  costPer1000: number | null;
  netPer1000: number | null;
}

/** A version's business value: the model's KPI and the newest windows of its monitored deployments. */
export interface CardValue {
  kpi: Record<string, unknown> | null;
  windows: CardValueWindow[];
}

/** Drift as the newest window of a deployment of the model saw it. */
export interface CardDrift {
  deployment: string;
  windowEnd: string;
  drifted: boolean;
  driftedShare: number;
  driftedFeatures: string[];
  error: string | null;
  openAlerts: string[];
}

/** A decision on a request to promote the version, and who took it. */
export interface CardApproval {
  id: string;
  status: string;
  requestedBy: string;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  [k: string]: unknown;
}

/** Everything a card is filled from; app.ts wires each to its service. A source that fails says why in the card. */
export interface CardSources {
  model(name: string): Promise<Model>;
  version(name: string, version: number): Promise<ModelVersion>;
  validation(name: string, version: number): Promise<ValidationResult | null>;
  aliasHistory(name: string): Promise<AliasPeriod[]>;
  liveQuality(name: string, version: number): Promise<CardWindow[]>;
  drift(name: string): Promise<CardDrift[]>;
  fairness(name: string, version: number): Promise<StoredFairnessReport | null>;
  importance(name: string, version: number): Promise<Omit<FeatureImportance, 'model' | 'version'>>;
  approvals(name: string, version: number): Promise<CardApproval[]>;
  reference(name: string, version: number): Promise<{ rows: number; columns: string[]; digest: string } | null>;
  /** The model's KPI and its windows' value; absent, the card has no business value section. */
  businessValue?(name: string, version: number): Promise<CardValue>;
}

/** A source's value, or `{error}` saying why it is missing, so one failing source never hides the card. */
async function attempt<T>(f: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await f();
  } catch (err) {
    return { error: err instanceof AppError ? err.message : `unavailable: ${(err as Error).message}` };
  }
}

const merge = (base: CardFields, over: CardFields): CardFields => {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out as CardFields;
};

/**
 * Model cards: the human fields people edit (per model, and per version on top), and the card of
 * a version assembled from them and everything Sextant records, current at every read.
 */
export class CardService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly clock: Clock,
    private readonly sources: CardSources,
  ) {}

  private async fields(modelId: string, version: number, db: Kysely<DB> = this.db): Promise<CardFields> {
    const rows = await db.selectFrom('model_cards').selectAll().where('model_id', '=', modelId).where('version', 'in', [0, version]).execute();
    const of = (v: number) => JSON.parse(rows.find((r) => Number(r.version) === v)?.fields ?? '{}') as CardFields;
    return merge(of(0), of(version));
  }

  private async modelId(name: string): Promise<string> {
    const m = await this.db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
    if (!m) throw new AppError('not_found', `model ${name} not found`, { model: name });
    return m.id;
  }

  /** The human fields of a version's card read through `db` (an open write judging promotion rules). */
  async fieldsIn(db: Kysely<DB>, name: string, version: number): Promise<CardFields> {
    const m = await db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
    if (!m) throw new AppError('not_found', `model ${name} not found`, { model: name });
    return this.fields(m.id, version, db);
  }

  /** The human fields of a version's card: the model's, with the version's own over them. */
  async humanFields(name: string, version: number): Promise<CardFields> {
    const modelId = await this.modelId(name);
    await this.sources.version(name, version);
    return this.fields(modelId, version);
  }

  /**
   * Sets human fields of a model's card (every version), or of one version's (over the model's).
   * Given fields replace the stored ones; null removes one. Returns the stored fields.
   */
  async edit(name: string, version: number | null, input: unknown, by: Actor): Promise<CardFields> {
    const edits = parseInput(CardFields, input, 'card');
    const modelId = await this.modelId(name);
    if (version !== null) await this.sources.version(name, version);
    const v = version ?? 0;
    return this.writes.run({
      by,
      permission: { role: 'editor', model: name },
      apply: async ({ db, now, audit }) => {
        const row = await db.selectFrom('model_cards').select('fields').where('model_id', '=', modelId).where('version', '=', v).executeTakeFirst();
        const before = JSON.parse(row?.fields ?? '{}') as CardFields;
        const after = merge(before, edits);
        await db.deleteFrom('model_cards').where('model_id', '=', modelId).where('version', '=', v).execute();
        await db.insertInto('model_cards').values({ model_id: modelId, version: v, fields: JSON.stringify(after), updated_at: now, updated_by: by.actor }).execute();
        audit({ action: 'card.edit', target: version === null ? `model:${name}` : `model:${name}/${version}`, before, after });
        return after;
      },
    });
  }

  /** The card of a version: Model Card Toolkit v0.0.2 with Sextant's additions, from the current state. */
  async card(name: string, version: number): Promise<ModelCard> {
    const s = this.sources;
    const [model, v] = await Promise.all([s.model(name), s.version(name, version)]);
    const modelId = await this.modelId(name);
    const [fields, validation, history, live, drift, fairness, importance, approvals, reference, value] = await Promise.all([
      this.fields(modelId, version),
      attempt(() => s.validation(name, version)),
      attempt(() => s.aliasHistory(name)),
      attempt(() => s.liveQuality(name, version)),
      attempt(() => s.drift(name)),
      attempt(() => s.fairness(name, version)),
      attempt(() => s.importance(name, version)),
      attempt(() => s.approvals(name, version)),
      attempt(() => s.reference(name, version)),
      attempt(async () => (s.businessValue ? s.businessValue(name, version) : null)),
    ]);
    return assembleCard({ model, version: v, fields, validation, history, live, drift, fairness, importance, approvals, reference, value, now: isoNow(this.clock) });
  }
}

type Maybe<T> = T | { error: string };
const ok = <T>(x: Maybe<T>): x is T => !(x && typeof x === 'object' && 'error' in (x as object) && Object.keys(x as object).length === 1);

interface CardInput {
  model: Model;
  version: ModelVersion;
  fields: CardFields;
  validation: Maybe<ValidationResult | null>;
  history: Maybe<AliasPeriod[]>;
  live: Maybe<CardWindow[]>;
  drift: Maybe<CardDrift[]>;
  fairness: Maybe<StoredFairnessReport | null>;
  importance: Maybe<Omit<FeatureImportance, 'model' | 'version'>>;
  approvals: Maybe<CardApproval[]>;
  reference: Maybe<{ rows: number; columns: string[]; digest: string } | null>;
  value?: Maybe<CardValue | null>;
  now: string;
}

/** A report by a personal-data attribute with its groups named `group 1`, `group 2`, … instead of their values. */
function maskGroups(r: StoredFairnessReport): StoredFairnessReport {
  const names = new Map(Object.keys(r.groups).map((g, i) => [g, `group ${i + 1}`]));
  const rename = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [names.get(k) ?? k, v]));
  return { ...r, privileged: names.get(r.privileged) ?? r.privileged, groups: rename(r.groups), disparateImpact: rename(r.disparateImpact), fourFifthsRule: rename(r.fourFifthsRule) };
}

/** Lays the gathered facts out in the Model Card Toolkit's sections. */
export function assembleCard(c: CardInput): ModelCard {
  const { model, version: v, fields: f } = c;
  const pii = (v.signature?.inputs ?? []).filter((i) => (i as { pii?: boolean }).pii).map((i) => i.name);
  const describe = (specs: { name: string; type: string }[] | undefined) => (specs && specs.length ? specs.map((i) => `${i.name}: ${i.type}`).join(', ') : 'not declared');
  const metrics = Object.entries(v.metrics).map(([type, value]) => ({ type, value, slice: 'registration' }));
  const live = ok(c.live) ? c.live : [];
  for (const w of live) {
    for (const [type, value] of Object.entries(w.measured ?? {})) if (typeof value === 'number') metrics.push({ type, value, slice: `${w.deployment} ${w.windowEnd} (measured)` });
    for (const [type, value] of Object.entries(w.estimated ?? {})) if (typeof value === 'number') metrics.push({ type, value, slice: `${w.deployment} ${w.windowEnd} (estimated)` });
  }
  const value = c.value && ok(c.value) ? c.value : null;
  for (const w of value?.windows ?? []) {
    if (w.measuredPer1000 !== null) metrics.push({ type: 'business value per 1,000 predictions', value: w.measuredPer1000, slice: `${w.deployment} ${w.windowEnd} (measured)` });
    if (w.estimatedPer1000 !== null) metrics.push({ type: 'business value per 1,000 predictions', value: w.estimatedPer1000, slice: `${w.deployment} ${w.windowEnd} (estimated)` });
  }
  const reported = ok(c.fairness) ? c.fairness : null;
  const fairness = reported && pii.includes(reported.sensitive) ? maskGroups(reported) : reported;
  if (fairness) {
    for (const [g, m] of Object.entries(fairness.groups)) {
      metrics.push({ type: 'selection rate', value: m.selectionRate, slice: `${fairness.sensitive}=${g}` }, { type: 'accuracy', value: m.accuracy, slice: `${fairness.sensitive}=${g}` });
    }
  }
  const periods = ok(c.history) ? c.history.filter((p) => p.version === v.version) : c.history;
  const lineage = v.lineage;
  const data = [
    ...(lineage.dataUri || lineage.dataDigest
      ? [{ name: 'training data', ...(lineage.dataUri ? { link: lineage.dataUri } : {}), description: `training data${lineage.dataDigest ? `, digest ${lineage.dataDigest}` : ''}`, ...(pii.length ? { sensitive: { sensitive_data: pii } } : {}) }]
      : []),
    ...(ok(c.reference) && c.reference
      ? [{ name: 'reference data', description: `${c.reference.rows} rows × ${c.reference.columns.length} columns (digest ${c.reference.digest}), the sample drift and explanations compare with`, ...(pii.length ? { sensitive: { sensitive_data: pii } } : {}) }]
      : []),
  ];
  return {
    schema_version: '0.0.2',
    model_details: {
      name: model.name,
      overview: f.overview ?? model.description,
      documentation: f.documentation ?? v.description,
      owners: f.owners ?? (model.owner ? [{ name: model.owner }] : []),
      version: { name: String(v.version), date: v.createdAt.slice(0, 10), ...(lineage.parentVersion ? { diff: `retrained from version ${lineage.parentVersion}` } : {}) },
      licenses: (f.licenses ?? []).map((l) => (l.identifier !== undefined ? { identifier: l.identifier } : { custom_text: l.customText })),
      references: (f.references ?? []).map((reference) => ({ reference })),
      citations: f.citations ?? [],
      sextant: {
        model: model.name,
        version: v.version,
        task: model.task,
        format: v.format,
        digest: v.digest,
        status: v.status,
        author: v.author,
        createdAt: v.createdAt,
        tags: v.tags,
        aliases: v.aliases,
        lineage: { dataDigest: lineage.dataDigest ?? null, dataUri: lineage.dataUri ?? null, codeRef: lineage.codeRef ?? null, parentVersion: lineage.parentVersion ?? null, jobId: lineage.jobId ?? null },
        aliasHistory: periods,
        approvals: c.approvals,
        generatedAt: c.now,
      },
    },
    model_parameters: {
      model_architecture: v.format,
      data,
      input_format: describe(v.signature?.inputs),
      output_format: describe(v.signature?.outputs),
      sextant: { signature: v.signature, params: v.params, personalData: pii },
    },
    quantitative_analysis: {
      performance_metrics: metrics,
      sextant: {
        registrationMetrics: v.metrics,
        validation: c.validation,
        liveQuality: c.live,
        drift: c.drift,
        fairness: ok(c.fairness) ? fairness : c.fairness,
        importance: c.importance,
        ...(c.value !== undefined && c.value !== null ? { businessValue: c.value } : {}),
      },
    },
    considerations: {
      users: (f.users ?? []).map((description) => ({ description })),
      use_cases: (f.intendedUse ?? []).map((description) => ({ description })),
      limitations: (f.limitations ?? []).map((description) => ({ description })),
      tradeoffs: (f.tradeoffs ?? []).map((description) => ({ description })),
      ethical_considerations: (f.ethicalConsiderations ?? []).map((r) => ({ name: r.name, ...(r.mitigation !== undefined ? { mitigation_strategy: r.mitigation } : {}) })),
    },
  };
}
