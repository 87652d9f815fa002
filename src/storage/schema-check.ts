import { sql } from 'kysely';
import { AppError } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import { sleep } from '../shared/wait-for.js';
import type { Database } from './database.js';
import { migrate, migrationNames } from './migrate.js';
import { untyped } from './untyped.js';

/** How the database's migrations compare with this release's. */
export interface SchemaState {
  /** Known to this release and not yet applied. */
  pending: string[];
  /** Applied by a newer release: this one does not know them. */
  unknown: string[];
}

/** Compares the applied migrations with this release's; reads only. */
export async function schemaState(database: Database): Promise<SchemaState> {
  const known = migrationNames();
  let applied: string[] = [];
  try {
    applied = (await sql<{ name: string }>`select name from sextant_migrations`.execute(database.db)).rows.map((r) => r.name);
  } catch (err) {
    // A new database has no migrations table yet; anything else is a real failure.
    const text = (err as Error).message;
    if (!/no such table|does not exist/.test(text)) throw err;
  }
  const done = new Set(applied);
  const mine = new Set(known);
  return { pending: known.filter((n) => !done.has(n)), unknown: applied.filter((n) => !mine.has(n)) };
}

export interface PrepareSchemaOptions {
  /** `auto` migrates, `wait` waits for another node (or `sextant db migrate`) to, `never` refuses. */
  mode: 'auto' | 'wait' | 'never';
  logger: Logger;
  /** How long `wait` waits before giving up (default 10 minutes). */
  waitMs?: number;
  pollMs?: number;
}

const newerSchema = (unknown: string[]) =>
  new AppError(
    'conflict',
    `the database schema is newer than this release of Sextant: it has migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which this release does not know. ` +
      'Run the release that applied them (or a newer one); this node changed nothing and will not start',
    { unknown },
  );

const olderSchema = (pending: string[]) =>
  `the database schema is older than this release of Sextant: migration${pending.length > 1 ? 's' : ''} ${pending.join(', ')} ${pending.length > 1 ? 'are' : 'is'} not applied yet`;

/**
 * Makes sure the schema is this release's before anything reads or writes: a schema from a newer
 * release is refused (an older node must not write into tables it does not understand); a schema
 * behind this release is migrated (`auto`), waited for (`wait`: another node or
 * `sextant db migrate` brings it up) or refused (`never`). Returns the migrations this call applied.
 */
export async function prepareSchema(database: Database, options: PrepareSchemaOptions): Promise<string[]> {
  let state = await schemaState(database);
  if (state.unknown.length > 0) throw newerSchema(state.unknown);
  if (state.pending.length === 0) return [];
  if (options.mode === 'auto') {
    // Under the migration lock another node may have gone first; migrate() skips what it applied.
    const applied = await migrate(untyped(database.db), database.dialect);
    state = await schemaState(database);
    if (state.unknown.length > 0) throw newerSchema(state.unknown);
    return applied;
  }
  if (options.mode === 'never') {
    throw new AppError('conflict', `${olderSchema(state.pending)}. Run \`sextant db migrate\` (or start with SEXTANT_MIGRATE=auto or wait); this node changed nothing`, {
      pending: state.pending,
    });
  }
  const end = Date.now() + (options.waitMs ?? 600_000);
  options.logger.warn({ pending: state.pending }, `${olderSchema(state.pending)}; waiting for another node or \`sextant db migrate\` to apply them (SEXTANT_MIGRATE=wait)`);
  for (;;) {
    await sleep(options.pollMs ?? 1000);
    state = await schemaState(database);
    if (state.unknown.length > 0) throw newerSchema(state.unknown);
    if (state.pending.length === 0) {
      options.logger.warn('the database schema is up to date; starting');
      return [];
    }
    if (Date.now() > end) throw new AppError('unavailable', `${olderSchema(state.pending)}, and nobody applied them while this node waited`, { pending: state.pending });
  }
}
