import { requestIdParts } from '../shared/ids.js';
import type { Database } from '../storage/index.js';
import { heldBy, type OwnCandidate, ownCandidates } from './own-request-ids.js';
import type { SegmentDraft } from './prediction-segment.js';

/** Stores segments; resolves with how many records were stored (a request id logged before is skipped). */
export type SegmentInserter = (drafts: SegmentDraft[]) => Promise<number>;

/** Values per statement when inserting ids (below both engines' parameter limits). */
const CHUNK = 500;

/** The segment's row, its own request ids included. */
const segmentRow = (d: SegmentDraft) => ({
  deployment: d.deployment,
  model: d.model,
  first_time: d.firstTime,
  last_time: d.lastTime,
  records: d.records,
  body: asBuffer(d.body),
  blob: d.blob ?? null,
  id_prefix: d.own?.prefix ?? null,
  id_first: d.own?.first ?? null,
  id_last: d.own?.last ?? null,
  id_offsets: asBuffer(d.own?.offsets),
});

/** Ids callers chose, with their ordinal among the segment's primary records (the rest are the segment's own). */
function givenIds(d: SegmentDraft): { k: number; id: string }[] {
  if (d.ids === '') return [];
  const out: { k: number; id: string }[] = [];
  d.ids.split('\n').forEach((id, k) => {
    if (id !== '') out.push({ k, id });
  });
  return out;
}

/**
 * Inserts segments with their request ids in one transaction. Ids the server made are kept in the
 * segment's row (`own`); ids callers chose go into the id index one by one. A request id logged
 * before (a client retrying with its own `x-request-id`, or sending back one the server made)
 * keeps its first record: the later one is marked skipped in its segment. On SQLite the
 * statements are prepared once and run on the query builder's connection, so nothing interleaves.
 */
export function segmentInserter(database: Database): SegmentInserter {
  const sqlite = database.sqlite;
  if (sqlite) {
    const insertSegment = sqlite.prepare(
      'INSERT INTO prediction_segments (deployment, model, first_time, last_time, records, body, blob, id_prefix, id_first, id_last, id_offsets) VALUES (@deployment, @model, @first_time, @last_time, @records, @body, @blob, @id_prefix, @id_first, @id_last, @id_offsets)',
    );
    // All of a segment's ids in one statement: half the cost of a statement per id (measured).
    const insertIds = sqlite.prepare('INSERT OR IGNORE INTO prediction_ids (request_id, segment_id) SELECT value, ? FROM json_each(?)');
    const owners = sqlite.prepare('SELECT request_id, segment_id FROM prediction_ids WHERE request_id IN (SELECT value FROM json_each(?))');
    const markSkipped = sqlite.prepare('UPDATE prediction_segments SET skip = ? WHERE id = ?');
    // A caller's id that the server made for an earlier request (sent back to it) was logged
    // already. The lookup's query is compiled by the query builder, prepared once on first use,
    // and run here, inside the synchronous transaction.
    let lookup: { all(...params: unknown[]): unknown[] } | undefined;
    const replayed = (id: string): boolean => {
      const p = requestIdParts(id);
      if (p === null) return false;
      const q = ownCandidates(database.db, p.prefix, p.counter, p.counter).compile();
      lookup ??= sqlite.prepare(q.sql);
      return heldBy(lookup.all(...q.parameters) as OwnCandidate[], p.counter) !== undefined;
    };
    const many = sqlite.transaction((drafts: SegmentDraft[]) => {
      let stored = 0;
      for (const d of drafts) {
        const id = insertSegment.run(segmentRow(d)).lastInsertRowid;
        const repeated: number[] = [];
        const given: { k: number; id: string }[] = [];
        for (const g of givenIds(d)) {
          if (replayed(g.id)) repeated.push(g.k);
          else given.push(g);
        }
        const list = JSON.stringify(given.map((g) => g.id));
        if (given.length > 0 && insertIds.run(id, list).changes < given.length) {
          // Some id was logged before, here or in an earlier segment: the first occurrence stays.
          const owner = new Map((owners.all(list) as { request_id: string; segment_id: number | bigint }[]).map((r) => [r.request_id, Number(r.segment_id)]));
          const seen = new Set<string>();
          for (const { k, id: rid } of given) {
            if (owner.get(rid) !== Number(id) || seen.has(rid)) repeated.push(k);
            seen.add(rid);
          }
        }
        stored += d.records - repeated.length;
        if (repeated.length > 0) markSkipped.run(JSON.stringify(repeated.sort((a, b) => a - b)), id);
      }
      return stored;
    });
    return async (drafts) => database.db.connection().execute(async () => many(drafts));
  }
  return (drafts) =>
    database.db.transaction().execute(async (trx) => {
      const replayed = async (id: string): Promise<boolean> => {
        const p = requestIdParts(id);
        return p !== null && heldBy(await ownCandidates(trx, p.prefix, p.counter, p.counter).execute(), p.counter) !== undefined;
      };
      let stored = 0;
      for (const d of drafts) {
        const { id } = await trx.insertInto('prediction_segments').values(segmentRow(d)).returning('id').executeTakeFirstOrThrow();
        const repeated: number[] = [];
        const given: { k: number; id: string }[] = [];
        for (const g of givenIds(d)) {
          if (await replayed(g.id)) repeated.push(g.k);
          else given.push(g);
        }
        // The id table is partitioned by day (storage/prediction-partitions.ts), so no unique index
        // spans it: ids logged before, in any day, are looked up. Two nodes inserting the same new
        // id at the same moment both keep theirs; readers take the first segment.
        const seen = new Set<string>();
        for (let i = 0; i < given.length; i += CHUNK) {
          const chunk = given.slice(i, i + CHUNK);
          for (const r of await trx.selectFrom('prediction_ids').select('request_id').where('request_id', 'in', chunk.map((g) => g.id)).execute()) seen.add(r.request_id);
          const fresh: { request_id: string; segment_id: number; segment_time: string }[] = [];
          for (const g of chunk) {
            if (seen.has(g.id)) repeated.push(g.k);
            else fresh.push({ request_id: g.id, segment_id: Number(id), segment_time: d.lastTime });
            seen.add(g.id);
          }
          if (fresh.length > 0) await trx.insertInto('prediction_ids').values(fresh).execute();
        }
        stored += d.records - repeated.length;
        if (repeated.length > 0) await trx.updateTable('prediction_segments').set({ skip: JSON.stringify(repeated.sort((a, b) => a - b)) }).where('id', '=', id).execute();
      }
      return stored;
    });
}

/** Both drivers bind a Buffer as bytes; bytes that crossed between processes may arrive as a plain Uint8Array. */
const asBuffer = (b: Uint8Array | undefined): Buffer | null => (b === undefined ? null : Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
