export { openDatabase } from './database.js';
export type { Database, Dialect } from './database.js';
export { migrate } from './migrate.js';
export { GENESIS_HASH } from './migrations/001-registry.js';
export { isUnavailable, isUniqueViolation, mapStorageError } from './storage-errors.js';
export type * from './schema.js';
export { escapeLike, like } from './sql-helpers.js';
export { bumpChangeSeq, readChangeSeq } from './change-seq.js';
export type { Writes, WriteTx } from './writes.js';
