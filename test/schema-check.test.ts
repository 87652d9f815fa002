import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/shared/logger.js';
import { type Database, migrate, untyped, openDatabase, prepareSchema, schemaState } from '../src/storage/index.js';
import { migrationNames } from '../src/storage/migrate.js';
import { tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const known = migrationNames();
const last = known[known.length - 1]!;
const beforeLast = known[known.length - 2]!;

describe.each(await databaseTargets())('schema check on $name', (target) => {
  let database: Database;
  let other: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    database = openDatabase(db.config);
    other = openDatabase(db.config);
  });
  afterAll(async () => {
    await other?.close();
    await database?.close();
    await drop?.();
  });

  const applied = async () => (await sql<{ n: string }>`select name as n from sextant_migrations order by name`.execute(database.db)).rows.map((r) => r.n);

  it('refuses a schema behind this release with `never`, naming what is missing, and changes nothing', async () => {
    await migrate(untyped(database.db), database.dialect, beforeLast);
    expect(await schemaState(database)).toEqual({ pending: [last], unknown: [] });
    await expect(prepareSchema(database, { mode: 'never', logger: silentLogger })).rejects.toThrow(
      new RegExp(`schema is older than this release.*${last} is not applied yet.*sextant db migrate`),
    );
    expect(await applied()).not.toContain(last);
  });

  it('waits with `wait` until another node brings the schema up, then goes on', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warnings.push(String(msg ?? _o)) } as typeof silentLogger;
    let waited = false;
    const waiting = prepareSchema(database, { mode: 'wait', logger, pollMs: 20 }).then((r) => ((waited = true), r));
    await new Promise((r) => setTimeout(r, 150));
    expect(waited).toBe(false);
    expect(warnings[0]).toMatch(/waiting for another node or `sextant db migrate`/);
    expect(await migrate(untyped(other.db), other.dialect)).toEqual([last]);
    expect(await waiting).toEqual([]);
    expect(warnings[1]).toMatch(/up to date; starting/);
  });

  it('refuses a schema a newer release migrated, whatever the mode, and changes nothing', async () => {
    await database.db.insertInto('sextant_migrations' as never).values({ name: '999-from-a-newer-release', applied_at: new Date().toISOString() } as never).execute();
    const before = await applied();
    for (const mode of ['auto', 'wait', 'never'] as const) {
      await expect(prepareSchema(database, { mode, logger: silentLogger })).rejects.toThrow(
        /schema is newer than this release of Sextant: it has migration 999-from-a-newer-release, which this release does not know.*changed nothing/,
      );
    }
    expect(await applied()).toEqual(before);
  });

  it('migrates a new database with `auto`', async () => {
    const fresh = await target.create(tempDir());
    const db = openDatabase(fresh.config);
    try {
      expect(await prepareSchema(db, { mode: 'auto', logger: silentLogger })).toEqual(known);
      expect(await schemaState(db)).toEqual({ pending: [], unknown: [] });
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});
