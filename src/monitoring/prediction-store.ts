import type { Kysely } from 'kysely';
import type { BlobStore } from '../artifacts/index.js';
import { requestIdParts } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { readAll } from '../shared/read-all.js';
import type { DB, PredictionPartitions } from '../storage/index.js';
import { heldBy, MAX_ID_SPAN, ownCandidates } from './own-request-ids.js';
import { decodeSegment, type LoggedRecord } from './prediction-segment.js';

/** Which records to read: one deployment's or one model's, in a time range, of one role. */
export interface RecordFilter {
  deployment?: string;
  model?: string;
  /** ISO times: records at or after `since`, before `until`. */
  since?: string | null;
  until?: string | null;
  role?: 'primary' | 'shadow';
}

/** Segments read per query while scanning. */
const PAGE = 16;
/** Values per statement when looking ids up (below both engines' parameter limits). */
const CHUNK = 500;
/** Counters one lookup of made-here ids covers at most: runs wider than this take several queries. */
const OWN_RUN = 16 * MAX_ID_SPAN;

/** Where a request's primary prediction is logged. */
export interface Located {
  segment: number;
  deployment: string;
  model: string;
}

/** Reads the segmented prediction log. */
export class PredictionStore {
  constructor(
    private readonly db: Kysely<DB>,
    /** Where segments too large for a row are kept. */
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    /** The day partitions on PostgreSQL: retention drops them whole instead of deleting rows. */
    private readonly partitions?: Pick<PredictionPartitions, 'purge'>,
  ) {}

  private async body(s: { id: number | string; body: Uint8Array | null; blob: string | null }): Promise<Uint8Array | null> {
    if (s.body !== null) return s.body;
    try {
      return await readAll(await this.blobs.get(s.blob!));
    } catch (err) {
      // A segment whose blob is gone (removed by hand, or lost to a crash) is left out, loudly.
      this.logger.warn({ err, segment: Number(s.id), blob: s.blob }, 'prediction log segment could not be read; its records are left out');
      return null;
    }
  }

  /**
   * Records matching the filter, newest first. Segments are read a page at a time, newest last
   * record first; a record is handed out once no segment still to come can hold a newer one.
   */
  async *scan(filter: RecordFilter): AsyncGenerator<LoggedRecord> {
    const since = filter.since ? Date.parse(filter.since) : -Infinity;
    const until = filter.until ? Date.parse(filter.until) : Infinity;
    let pending: LoggedRecord[] = [];
    let cursor: { last: string; id: number } | undefined;
    for (;;) {
      let q = this.db.selectFrom('prediction_segments').select(['id', 'deployment', 'model', 'last_time', 'body', 'blob', 'skip']);
      if (filter.deployment !== undefined) q = q.where('deployment', '=', filter.deployment);
      if (filter.model !== undefined) q = q.where('model', '=', filter.model);
      if (filter.since) q = q.where('last_time', '>=', filter.since);
      if (filter.until) q = q.where('first_time', '<', filter.until);
      if (cursor) {
        const c = cursor;
        q = q.where((eb) => eb.or([eb('last_time', '<', c.last), eb.and([eb('last_time', '=', c.last), eb('id', '<', c.id)])]));
      }
      const page = await q.orderBy('last_time', 'desc').orderBy('id', 'desc').limit(PAGE).execute();
      for (const s of page) {
        const bound = Date.parse(s.last_time);
        const ready = pending.filter((r) => r.time > bound);
        if (ready.length) {
          pending = pending.filter((r) => r.time <= bound);
          yield* ready;
        }
        const body = await this.body(s);
        if (body === null) continue;
        const skip = s.skip ? new Set(JSON.parse(s.skip) as number[]) : undefined;
        for (const r of decodeSegment({ deployment: s.deployment, model: s.model, body, skip })) if (r.time >= since && r.time < until && (filter.role === undefined || r.role === filter.role)) pending.push(r);
        pending.sort((a, b) => b.time - a.time);
      }
      if (page.length < PAGE) break;
      const tail = page[page.length - 1]!;
      cursor = { last: tail.last_time, id: Number(tail.id) };
    }
    yield* pending;
  }

  /** Up to `limit` records matching the filter, newest first. */
  async newest(filter: RecordFilter, limit: number, accept: (r: LoggedRecord) => boolean = () => true): Promise<LoggedRecord[]> {
    const out: LoggedRecord[] = [];
    if (limit <= 0) return out;
    for await (const r of this.scan(filter)) {
      if (!accept(r)) continue;
      out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Up to `limit` accepted records matching the filter, newest first, each with its label (as
   * stored JSON) when one was given; with `labelledOnly`, only labelled ones count and come back.
   * Labels are looked up a page of records at a time.
   */
  async newestLabelled(
    filter: RecordFilter,
    limit: number,
    options: { labelledOnly?: boolean; accept?: (r: LoggedRecord) => boolean } = {},
  ): Promise<{ record: LoggedRecord; label: string | undefined }[]> {
    const out: { record: LoggedRecord; label: string | undefined }[] = [];
    let page: LoggedRecord[] = [];
    const take = async () => {
      const labels = await this.labels(page.map((r) => r.requestId));
      for (const record of page) {
        const label = labels.get(record.requestId);
        if ((label !== undefined || !options.labelledOnly) && out.length < limit) out.push({ record, label });
      }
      page = [];
    };
    if (limit <= 0) return out;
    for await (const r of this.scan(filter)) {
      if (options.accept && !options.accept(r)) continue;
      page.push(r);
      if (page.length >= CHUNK || (!options.labelledOnly && out.length + page.length >= limit)) await take();
      if (out.length >= limit) break;
    }
    await take();
    return out;
  }

  /**
   * Where the primary predictions of these request ids are logged, for the ids found: ids callers
   * chose (and ids logged before migration 011) through the id index, ids the server made by their
   * prefix and counter (`own-request-ids.ts`).
   */
  async locate(ids: readonly string[]): Promise<Map<string, Located>> {
    const out = new Map<string, Located>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      // Ids, then their segments: on PostgreSQL both tables are partitioned by day, and a list of
      // segment ids costs one index scan per partition where a join would probe each per id.
      const rows = await this.db.selectFrom('prediction_ids').select(['request_id', 'segment_id']).where('request_id', 'in', ids.slice(i, i + CHUNK)).orderBy('segment_id').execute();
      if (rows.length === 0) continue;
      const segments = await this.db
        .selectFrom('prediction_segments')
        .select(['id', 'deployment', 'model'])
        .where('id', 'in', [...new Set(rows.map((r) => Number(r.segment_id)))])
        .execute();
      const byId = new Map(segments.map((s) => [Number(s.id), s]));
      for (const r of rows) {
        const s = byId.get(Number(r.segment_id));
        // The first segment keeps an id logged twice.
        if (s && !out.has(r.request_id)) out.set(r.request_id, { segment: Number(s.id), deployment: s.deployment, model: s.model });
      }
    }
    const byPrefix = new Map<string, { id: string; counter: number }[]>();
    for (const id of ids) {
      const p = out.has(id) ? null : requestIdParts(id);
      if (!p) continue;
      let list = byPrefix.get(p.prefix);
      if (!list) byPrefix.set(p.prefix, (list = []));
      list.push({ id, counter: p.counter });
    }
    for (const [prefix, wanted] of byPrefix) {
      wanted.sort((a, b) => a.counter - b.counter);
      // Counters close together share a query.
      for (let i = 0; i < wanted.length; ) {
        const lo = wanted[i]!.counter;
        let j = i;
        while (j + 1 < wanted.length && wanted[j + 1]!.counter - lo <= OWN_RUN) j++;
        const rows = await ownCandidates(this.db, prefix, lo, wanted[j]!.counter).execute();
        for (; i <= j; i++) {
          const s = heldBy(rows, wanted[i]!.counter);
          if (s) out.set(wanted[i]!.id, { segment: Number(s.id), deployment: s.deployment, model: s.model });
        }
      }
    }
    return out;
  }

  /** Which of these request ids have a primary prediction logged for the deployment. */
  async known(deployment: string, ids: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (const [id, at] of await this.locate(ids)) if (at.deployment === deployment) known.add(id);
    return known;
  }

  /** Labels (as stored JSON) of these request ids, where given; `db` may be a transaction. */
  async labels(ids: readonly string[], db: Kysely<DB> = this.db): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      for (const r of await db.selectFrom('feedback').select(['request_id', 'label']).where('request_id', 'in', ids.slice(i, i + CHUNK)).execute()) out.set(r.request_id, r.label);
    }
    return out;
  }

  /**
   * Labels received after `after` for primary predictions of the model, counted up to `enough`: a
   * caller comparing with a threshold need not look every label up.
   */
  async countLabels(model: string, after: string, enough = Infinity): Promise<number> {
    const labelled = await this.db.selectFrom('feedback').select('request_id').where('received_at', '>', after).orderBy('received_at').execute();
    let n = 0;
    for (let i = 0; i < labelled.length && n < enough; i += CHUNK) {
      for (const at of (await this.locate(labelled.slice(i, i + CHUNK).map((r) => r.request_id))).values()) if (at.model === model) n++;
    }
    return Math.min(n, enough);
  }

  /**
   * Deletes segments whose newest record is older than `cutoff` (ISO), with their ids and blobs,
   * and labels received before it; returns the records that went. A segment straddling the cutoff
   * stays until all its records are older. With day partitions (PostgreSQL), whole days go: the
   * cutoff's own day stays until it is past.
   */
  async purge(cutoff: string): Promise<number> {
    if (this.partitions) {
      const gone = await this.partitions.purge(cutoff);
      for (const blob of gone.blobs) await this.blobs.delete(blob);
      await this.db.deleteFrom('feedback').where('received_at', '<', cutoff).execute();
      return gone.records;
    }
    const old = await this.db.selectFrom('prediction_segments').select(['id', 'records', 'blob', 'skip']).where('last_time', '<', cutoff).execute();
    let n = 0;
    for (let i = 0; i < old.length; i += CHUNK) {
      const chunk = old.slice(i, i + CHUNK);
      const ids = chunk.map((s) => Number(s.id));
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('prediction_ids').where('segment_id', 'in', ids).execute();
        await trx.deleteFrom('prediction_segments').where('id', 'in', ids).execute();
      });
      // Blobs go after their rows: a crash in between leaves an orphan blob, never a dangling row.
      for (const s of chunk) if (s.blob) await this.blobs.delete(s.blob);
      n += chunk.reduce((a, s) => a + Number(s.records) - (s.skip ? (JSON.parse(s.skip) as number[]).length : 0), 0);
    }
    await this.db.deleteFrom('feedback').where('received_at', '<', cutoff).execute();
    return n;
  }
}
