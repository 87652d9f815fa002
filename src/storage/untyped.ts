import type { Kysely } from 'kysely';

/**
 * The database as migrations see it: without the typed schema, which describes the newest
 * migration's tables and so cannot type the steps that build them.
 */
export function untyped<T>(db: Kysely<T>): Kysely<unknown> {
  return db as unknown as Kysely<unknown>;
}
