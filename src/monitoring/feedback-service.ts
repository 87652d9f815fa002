import type { Kysely } from 'kysely';
import { FeedbackRequest, type FeedbackResult, ListPredictionsQuery, type LoggedPrediction } from '../contracts/monitoring.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { type Clock, isoNow } from '../shared/clock.js';
import { parseInput } from '../shared/parse.js';
import type { DB } from '../storage/index.js';
import type { LoggedRecord } from './prediction-segment.js';
import type { PredictionStore } from './prediction-store.js';

/** Ground truth: labels joined to logged predictions by request id, in any order, any number of times. */
export class FeedbackService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly log: PredictionStore,
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
    const known = await this.log.known(deployment, ids);
    await this.db.transaction().execute(async (trx) => {
      const existing = await this.log.labels(ids, trx);
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
    const iso = (t: string | undefined) => (t ? new Date(t).toISOString() : null);
    const filter = { deployment, since: iso(q.since), until: iso(q.until), role: q.role };
    const accept = q.version === undefined ? undefined : (r: LoggedRecord) => r.version === q.version;
    const logged = await this.log.newestLabelled(filter, q.pageSize, { labelledOnly: q.withLabels === 'true', accept });
    return logged.map(({ record, label }) => toLogged(record, label));
  }
}

function toLogged(r: LoggedRecord, label: string | undefined): LoggedPrediction {
  return {
    requestId: r.requestId,
    role: r.role,
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    time: new Date(r.time).toISOString(),
    rows: r.rows,
    inputs: r.inputs(),
    outputs: r.outputs,
    latencyMs: r.latencyMs,
    error: r.error,
    label: label === undefined ? null : JSON.parse(label),
  };
}
