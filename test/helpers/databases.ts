import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/index.js';

/** PostgreSQL for tests: the machine's server unless SEXTANT_TEST_PG_URL names another. */
export const PG_URL = process.env.SEXTANT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** CI sets this so a missing service fails the run instead of skipping. */
export const SERVICES_REQUIRED = ['1', 'true', 'yes'].includes(process.env.SEXTANT_TEST_REQUIRE_SERVICES ?? '');

async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface DatabaseTarget {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database (its own file, or its own schema) and how to remove it. */
  create(dir: string): Promise<{ config: DatabaseConfig; drop(): Promise<void> }>;
}

const sqliteTarget: DatabaseTarget = {
  name: 'sqlite',
  create: async (dir) => ({ config: { kind: 'sqlite', path: `${dir}/sextant-${randomBytes(4).toString('hex')}.db` }, drop: async () => {} }),
};

const postgresTarget: DatabaseTarget = {
  name: 'postgres',
  create: async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    return {
      config: { kind: 'postgres', url: PG_URL, schema },
      drop: async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      },
    };
  },
};

/**
 * The databases every store test runs against. PostgreSQL is skipped (with the reason printed)
 * only when it is unreachable and services are not required.
 */
export async function databaseTargets(): Promise<DatabaseTarget[]> {
  const problem = await postgresReachable();
  if (problem === null) return [sqliteTarget, postgresTarget];
  if (SERVICES_REQUIRED) throw new Error(`PostgreSQL at ${PG_URL} is required (SEXTANT_TEST_REQUIRE_SERVICES) but unreachable: ${problem}`);
  console.warn(`SKIP postgres store tests: PostgreSQL at ${PG_URL} is unreachable (${problem}); set SEXTANT_TEST_PG_URL or start it`);
  return [sqliteTarget];
}
