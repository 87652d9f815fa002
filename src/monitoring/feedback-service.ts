import type { Kysely } from 'kysely';
import { FeedbackRequest, type FeedbackResult, ListPredictionsQuery, type LoggedPrediction } from '../contracts/monitoring.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { type Clock, isoNow } from '../shared/clock.js';
import { parseInput } from '../shared/parse.js';
import type { DB } from '../storage/index.js';
import { decodeInputs } from './prediction-rows.js';

/** Ground truth: labels joined to logged predictions by request id, in any order, any number of times. */
export class FeedbackService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores labels idempotently: the same label again is a duplicate, a different one replaces it.
   * Ids with no logged prediction are stored too (the log may lag) and reported as unknown.
   */
  async record(deployment: string, input: unknown): Promise<FeedbackResult> {
    const items = parseInput(FeedbackRequest, input);
    const now = isoNow(this.clock);
    const result: FeedbackResult = { accepted: 0, duplicates: 0, updated: 0, unknown: [] };
    const last = new Map(items.map((i) => [i.requestId, canonicalJson(i.label)]));
    const ids = [...last.keys()];
    await this.db.transaction().execute(async (trx) => {
      const existing = new Map<string, string>();
      const known = new Set<string>();
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        for (const r of await trx.selectFrom('feedback').select(['request_id', 'label']).where('request_id', 'in', chunk).execute()) existing.set(r.request_id, r.label);
        for (const r of await trx.selectFrom('predictions').select('request_id').where('deployment', '=', deployment).where('request_id', 'in', chunk).execute()) known.add(r.request_id);
      }
      for (const [id, label] of last) {
        const before = existing.get(id);
        if (before === label) result.duplicates++;
        else if (before === undefined) {
          await trx.insertInto('feedback').values({ request_id: id, deployment, label, received_at: now }).execute();
          result.accepted++;
        } else {
          await trx.updateTable('feedback').set({ label, received_at: now }).where('request_id', '=', id).execute();
          result.updated++;
        }
        if (!known.has(id)) result.unknown.push(id);
      }
    });
    result.duplicates += items.length - last.size;
    return result;
  }

  /** Logged predictions of a deployment, newest first, with their labels when known. */
  async list(deployment: string, query: unknown): Promise<LoggedPrediction[]> {
    const q = parseInput(ListPredictionsQuery, query ?? {}, 'query');
    let sel = this.db
      .selectFrom('predictions as p')
      .leftJoin('feedback as f', 'f.request_id', 'p.request_id')
      .selectAll('p')
      .select('f.label as label')
      .where('p.deployment', '=', deployment);
    if (q.since) sel = sel.where('p.time', '>=', new Date(q.since).toISOString());
    if (q.role) sel = sel.where('p.role', '=', q.role);
    if (q.withLabels === 'true') sel = sel.where('f.label', 'is not', null);
    const rows = await sel.orderBy('p.time', 'desc').limit(q.pageSize).execute();
    return rows.map((r) => ({
      requestId: r.request_id,
      role: r.role as LoggedPrediction['role'],
      deployment: r.deployment,
      model: r.model,
      version: r.version === null ? null : Number(r.version),
      time: r.time,
      rows: Number(r.rows),
      inputs: r.inputs ? decodeInputs(r.inputs) : null,
      outputs: r.outputs ? JSON.parse(r.outputs) : null,
      latencyMs: Number(r.latency_ms),
      error: r.error,
      label: r.label === null ? null : JSON.parse(r.label),
    }));
  }
}
