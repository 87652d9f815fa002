import type { Kysely } from 'kysely';
import type { BlobStore } from '../artifacts/index.js';
import type { Logger } from '../shared/logger.js';
import { readAll } from '../shared/read-all.js';
import type { Database, DB } from '../storage/index.js';
import { decodeSegment, type LoggedRecord, type SegmentDraft } from './prediction-segment.js';

/** Which records to read: one deployment's or one model's, in a time range, of one role. */
export interface RecordFilter {
  deployment?: string;
  model?: string;
  /** ISO times: records at or after `since`, before `until`. */
  since?: string | null;
  until?: string | null;
  role?: 'primary' | 'shadow';
}

/** Stores segments; resolves with how many records were stored (a request id logged before is skipped). */
export type SegmentInserter = (drafts: SegmentDraft[]) => Promise<number>;

/** Segments read per query while scanning. */
const PAGE = 16;
/** Values per statement when looking ids up or inserting them (below both engines' parameter limits). */
const CHUNK = 500;

/**
 * Inserts segments and their primary request ids in one transaction. A request id logged before
 * (a client retrying with its own `x-request-id`) keeps its first record: the later one is marked
 * skipped in its segment. On SQLite the statements are prepared once and run on the query
 * builder's connection, so nothing interleaves.
 */
export function segmentInserter(database: Database): SegmentInserter {
  const sqlite = database.sqlite;
  if (sqlite) {
    const insertSegment = sqlite.prepare('INSERT INTO prediction_segments (deployment, model, first_time, last_time, records, body, blob) VALUES (?, ?, ?, ?, ?, ?, ?)');
    // All of a segment's ids in one statement: half the cost of a statement per id (measured).
    const insertIds = sqlite.prepare('INSERT OR IGNORE INTO prediction_ids (request_id, segment_id) SELECT value, ? FROM json_each(?)');
    const owners = sqlite.prepare('SELECT request_id, segment_id FROM prediction_ids WHERE request_id IN (SELECT value FROM json_each(?))');
    const markSkipped = sqlite.prepare('UPDATE prediction_segments SET skip = ? WHERE id = ?');
    const many = sqlite.transaction((drafts: SegmentDraft[]) => {
      let stored = 0;
      for (const d of drafts) {
        const id = insertSegment.run(d.deployment, d.model, d.firstTime, d.lastTime, d.records, asBuffer(d.body), d.blob ?? null).lastInsertRowid;
        const ids = primaryIds(d);
        const list = JSON.stringify(ids);
        const repeated: number[] = [];
        if (insertIds.run(id, list).changes < ids.length) {
          // Some id was logged before, here or in an earlier segment: the first occurrence stays.
          const owner = new Map((owners.all(list) as { request_id: string; segment_id: number | bigint }[]).map((r) => [r.request_id, Number(r.segment_id)]));
          const seen = new Set<string>();
          ids.forEach((rid, k) => {
            if (owner.get(rid) !== Number(id) || seen.has(rid)) repeated.push(k);
            seen.add(rid);
          });
        }
        stored += d.records - repeated.length;
        if (repeated.length > 0) markSkipped.run(JSON.stringify(repeated), id);
      }
      return stored;
    });
    return async (drafts) => database.db.connection().execute(async () => many(drafts));
  }
  return (drafts) =>
    database.db.transaction().execute(async (trx) => {
      let stored = 0;
      for (const d of drafts) {
        const { id } = await trx
          .insertInto('prediction_segments')
          .values({ deployment: d.deployment, model: d.model, first_time: d.firstTime, last_time: d.lastTime, records: d.records, body: asBuffer(d.body), blob: d.blob ?? null })
          .returning('id')
          .executeTakeFirstOrThrow();
        const inserted = new Set<string>();
        const ids = primaryIds(d);
        for (let k = 0; k < ids.length; k += CHUNK) {
          const values = ids.slice(k, k + CHUNK).map((request_id) => ({ request_id, segment_id: Number(id) }));
          for (const r of await trx.insertInto('prediction_ids').values(values).onConflict((oc) => oc.column('request_id').doNothing()).returning('request_id').execute()) inserted.add(r.request_id);
        }
        // The first occurrence of an inserted id is the one kept.
        const repeated: number[] = [];
        ids.forEach((rid, k) => {
          if (!inserted.delete(rid)) repeated.push(k);
        });
        stored += d.records - repeated.length;
        if (repeated.length > 0) await trx.updateTable('prediction_segments').set({ skip: JSON.stringify(repeated) }).where('id', '=', id).execute();
      }
      return stored;
    });
}

/** Both drivers bind a Buffer as bytes; a body that crossed between processes may arrive as a plain Uint8Array. */
const asBuffer = (b: Uint8Array | undefined): Buffer | null => (b === undefined ? null : Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const primaryIds = (d: SegmentDraft): string[] => (d.ids === '' ? [] : d.ids.split('\n'));

/** Reads the segmented prediction log. */
export class PredictionStore {
  constructor(
    private readonly db: Kysely<DB>,
    /** Where segments too large for a row are kept. */
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
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

  /** Which of these request ids have a primary prediction logged for the deployment. */
  async known(deployment: string, ids: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('prediction_ids as i')
        .innerJoin('prediction_segments as s', 's.id', 'i.segment_id')
        .select('i.request_id')
        .where('s.deployment', '=', deployment)
        .where('i.request_id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) known.add(r.request_id);
    }
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

  /** Labels received after `after` for primary predictions of the model. */
  async countLabels(model: string, after: string): Promise<number> {
    const n = await this.db
      .selectFrom('feedback as f')
      .innerJoin('prediction_ids as i', 'i.request_id', 'f.request_id')
      .innerJoin('prediction_segments as s', 's.id', 'i.segment_id')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('s.model', '=', model)
      .where('f.received_at', '>', after)
      .executeTakeFirst();
    return Number(n?.n ?? 0);
  }

  /**
   * Deletes segments whose newest record is older than `cutoff` (ISO), with their ids and blobs,
   * and labels received before it; returns the records that went. A segment straddling the cutoff
   * stays until all its records are older.
   */
  async purge(cutoff: string): Promise<number> {
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
