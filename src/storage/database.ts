import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, type SqliteDialectConfig, sql } from 'kysely';
import { createRequire } from 'node:module';
import type { DatabaseConfig } from '../config/index.js';
import type { Dialect } from './connect-types.js';
import type { DB } from './schema.js';

export type { Dialect };

/** An open database: the typed query builder, which engine it is, and how to close it. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** The SQLite connection under `db` (null on PostgreSQL), for the prediction log's prepared statements. */
  readonly sqlite: BetterSqlite3.Database | null;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Transactions start with BEGIN IMMEDIATE: a deferred one that reads and then writes fails at once
 * (SQLITE_BUSY, no busy wait) when another connection wrote in between, which other server
 * processes and the prediction-log thread do. Taking the write lock first makes it wait instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

/** Opens SQLite (WAL, busy timeout) or a PostgreSQL pool, per the configuration. */
export function openDatabase(config: DatabaseConfig): Database {
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') fs.mkdirSync(path.dirname(config.path), { recursive: true });
    const handle = new BetterSqlite3(config.path);
    handle.pragma('journal_mode = WAL');
    handle.pragma('busy_timeout = 5000');
    handle.pragma('foreign_keys = ON');
    handle.pragma('synchronous = NORMAL');
    const db = new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: handle }) });
    return {
      db,
      dialect: 'sqlite',
      sqlite: handle,
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }
  // The driver loads only for PostgreSQL (about 15 MB per process); it is CommonJS, so synchronously.
  const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    connectionTimeoutMillis: 5000,
    ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    sqlite: null,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
