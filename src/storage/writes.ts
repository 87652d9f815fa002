import type { Kysely } from 'kysely';
import type { WriteContext, WriteSeam } from '../shared/write-seam.js';
import type { DB } from './schema.js';

/** The write path over Sextant's database (the port is `shared/write-seam.ts`). */
export type Writes = WriteSeam<Kysely<DB>>;

/** An open write: its transaction, time, actor, and where audit records and events are queued. */
export type WriteTx = WriteContext<Kysely<DB>>;
