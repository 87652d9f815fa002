import { type Generated, type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect-types.js';

interface LegacyRow {
  request_id: string;
  role: string;
  deployment: string;
  model: string;
  version: number | null;
  time: string;
  rows: number;
  inputs: string | null;
  outputs: string | null;
  latency_ms: number;
  error: string | null;
}

const LEGACY_PER_SEGMENT = 1000;

/**
 * The prediction log moves from a row per record to segments, a row per batch of one deployment's
 * records (format 2 of monitoring/prediction-segment.ts) kept in the row or, when large, in the
 * blob store, with an index of primary request ids for the feedback join. Rows logged before are carried over into segments of up to 1,000
 * records, their inputs in the per-record form that format still reads.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('prediction_segments')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('first_time', 'text', (c) => c.notNull())
    .addColumn('last_time', 'text', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    // The encoded records, or the digest of the blob that holds them when they are large.
    .addColumn('body', dialect === 'postgres' ? 'bytea' : 'blob')
    .addColumn('blob', 'text')
    // Ordinals of primary records left out because their request id had been logged before.
    .addColumn('skip', 'text')
    .execute();
  await db.schema.createIndex('prediction_segments_deployment_time').on('prediction_segments').columns(['deployment', 'last_time']).execute();
  await db.schema.createIndex('prediction_segments_model_time').on('prediction_segments').columns(['model', 'last_time']).execute();
  await db.schema.createIndex('prediction_segments_time').on('prediction_segments').columns(['last_time']).execute();
  // Without a rowid on SQLite, the id index is the table: one B-tree per logged request.
  await db.schema
    .createTable('prediction_ids')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('segment_id', 'bigint', (c) => c.notNull())
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .execute();
  await db.schema.createIndex('prediction_ids_segment').on('prediction_ids').column('segment_id').execute();

  // The tables as they stand at this step: the typed schema describes the newest one.
  const step = db.withTables<{
    predictions: LegacyRow;
    prediction_segments: { id: Generated<number>; deployment: string; model: string; first_time: string; last_time: string; records: number; body: Uint8Array };
    prediction_ids: { request_id: string; segment_id: number };
  }>();
  const legacy = await step.selectFrom('predictions').selectAll().orderBy('deployment').orderBy('model').orderBy('time').execute();
  for (let i = 0; i < legacy.length; ) {
    const first = legacy[i]!;
    const chunk: LegacyRow[] = [];
    while (i < legacy.length && chunk.length < LEGACY_PER_SEGMENT && legacy[i]!.deployment === first.deployment && legacy[i]!.model === first.model) chunk.push(legacy[i++]!);
    // Per record: time, latency, version, rows, then input group and output layout -2 ("in the
    // record's JSON entry", where the inputs keep their per-record form) or -1 (none).
    const meta = new Float64Array(chunk.length * 8);
    const json: Record<number, { in?: unknown; out?: unknown; err?: string }> = {};
    chunk.forEach((r, k) => {
      meta.set([Date.parse(r.time), Number(r.latency_ms), r.version === null ? NaN : Number(r.version), Number(r.rows), r.inputs === null ? -1 : -2, 0, r.outputs === null ? -1 : -2, 0], k * 8);
      const parts: { in?: unknown; out?: unknown; err?: string } = {};
      if (r.inputs !== null) parts.in = JSON.parse(r.inputs);
      if (r.outputs !== null) parts.out = JSON.parse(r.outputs);
      if (r.error !== null) parts.err = r.error;
      if (Object.keys(parts).length > 0) json[k] = parts;
    });
    const head = Buffer.from(
      JSON.stringify({ ids: chunk.map((r) => r.request_id), roles: chunk.map((r) => (r.role === 'shadow' ? 's' : 'p')).join(''), meta: [0, meta.length], groups: [], layouts: [], json }),
      'utf8',
    );
    // Magic, head length, head, padding to 8 bytes, then the meta array.
    const start = (8 + head.length + 7) & ~7;
    const body = Buffer.alloc(start + meta.byteLength);
    body.write('SXP2', 0, 'latin1');
    body.writeUInt32LE(head.length, 4);
    head.copy(body, 8);
    body.set(new Uint8Array(meta.buffer), start);
    const segment = await step
      .insertInto('prediction_segments')
      .values({ deployment: first.deployment, model: first.model, first_time: chunk[0]!.time, last_time: chunk[chunk.length - 1]!.time, records: chunk.length, body })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ids = chunk.filter((r) => r.role !== 'shadow').map((r) => ({ request_id: r.request_id, segment_id: Number(segment.id) }));
    for (let k = 0; k < ids.length; k += 500) await step.insertInto('prediction_ids').values(ids.slice(k, k + 500)).execute();
  }
  await db.schema.dropTable('predictions').execute();
}
