import type { Kysely } from 'kysely';
import { FairnessQuery, type FairnessReport, type StoredFairnessReport } from '../contracts/fairness.js';
import { AppError } from '../shared/app-error.js';
import { newId } from '../shared/ids.js';
import { parseInput } from '../shared/parse.js';
import type { DB, Writes } from '../storage/index.js';
import type { Actor } from '../shared/actor.js';
import { fairnessOfRows } from '../stats/index.js';

/** What the fairness service needs from the rest of Sextant, injected by app.ts. */
export interface FairnessPorts {
  /** Rows of an uploaded dataset. */
  parseRows(text: string, format: 'csv' | 'jsonl'): Record<string, unknown>[];
  /** The version's own 0/1 decisions on the rows. */
  decide(model: string, version: number, rows: readonly Record<string, unknown>[], cutoff: number): Promise<number[]>;
}

/** Fairness reports of registered versions: computed on a dataset the version scores itself, stored, listed. */
export class FairnessService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly ports: FairnessPorts,
  ) {}

  private async modelId(model: string, version: number, db: Kysely<DB> = this.db): Promise<string> {
    const row = await db
      .selectFrom('model_versions as v')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .select('m.id')
      .where('m.name', '=', model)
      .where('v.version', '=', version)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `version ${version} of model ${model} not found`, { model, version });
    return row.id;
  }

  /** Scores the dataset with the version, computes its fairness, and stores the report. */
  async evaluate(model: string, version: number, text: string, format: 'csv' | 'jsonl', query: FairnessQuery, by: Actor): Promise<StoredFairnessReport> {
    const q = parseInput(FairnessQuery, query, 'query');
    // Refused before the version scores a row.
    await this.writes.authorize(by, { role: 'editor', model });
    const modelId = await this.modelId(model, version);
    const rows = this.ports.parseRows(text, format);
    if (rows.length === 0) throw new AppError('invalid_argument', 'the dataset has no rows');
    const decisions = await this.ports.decide(model, version, rows, q.cutoff);
    const report = fairnessOfRows(rows, {
      label: q.label,
      sensitive: q.sensitive,
      privileged: q.privileged,
      decisions: { kind: 'given', values: decisions, what: `version ${version} (class-1 probability >= ${q.cutoff})`, cutoff: q.cutoff },
    });
    return this.store(modelId, model, version, report, by);
  }

  private store(modelId: string, model: string, version: number, report: FairnessReport, by: Actor): Promise<StoredFairnessReport> {
    const id = newId();
    return this.writes.run({
      by,
      permission: { role: 'editor', model },
      apply: async ({ db, now, audit }) => {
        await db.insertInto('fairness_reports').values({ id, model_id: modelId, version, created_at: now, actor: by.actor, report: JSON.stringify(report) }).execute();
        const summary = { id, sensitive: report.sensitive, rows: report.rows, demographicParityDifference: report.demographicParityDifference, equalizedOddsDifference: report.equalizedOddsDifference };
        audit({ action: 'version.fairness', target: `model:${model}/${version}`, after: summary });
        return { id, model, version, createdAt: now, actor: by.actor, ...report };
      },
    });
  }

  /** A version's reports, newest first. */
  async list(model: string, version: number, limit = 50, db: Kysely<DB> = this.db): Promise<StoredFairnessReport[]> {
    const modelId = await this.modelId(model, version, db);
    const rows = await db
      .selectFrom('fairness_reports')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('version', '=', version)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, model, version, createdAt: r.created_at, actor: r.actor, ...(JSON.parse(r.report) as FairnessReport) }));
  }

  /** The newest report of a version, or null. */
  async latest(model: string, version: number, db: Kysely<DB> = this.db): Promise<StoredFairnessReport | null> {
    return (await this.list(model, version, 1, db))[0] ?? null;
  }
}
