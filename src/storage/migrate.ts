import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Dialect } from './connect-types.js';
import * as m001 from './migrations/001-registry.js';
import * as m002 from './migrations/002-deployments.js';
import * as m003 from './migrations/003-slo-samples.js';
import * as m004 from './migrations/004-prediction-log.js';
import * as m005 from './migrations/005-alert-channels.js';
import * as m006 from './migrations/006-version-references.js';
import * as m007 from './migrations/007-monitors.js';
import * as m008 from './migrations/008-alerts.js';
import * as m009 from './migrations/009-pipelines.js';
import * as m010 from './migrations/010-prediction-segments.js';
import * as m011 from './migrations/011-own-request-ids.js';
import * as m012 from './migrations/012-governance.js';
import * as m013 from './migrations/013-monitor-sections.js';
import * as m014 from './migrations/014-transparency.js';
import * as m015 from './migrations/015-cluster.js';
import * as m016 from './migrations/016-business-value.js';
import * as m017 from './migrations/017-alert-reports.js';
import * as m018 from './migrations/018-traffic-samples.js';

interface Migration {
  name: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Ordered, append-only: a migration, once released, is never edited. */
const MIGRATIONS: Migration[] = [
  { name: '001-registry', up: m001.up },
  { name: '002-deployments', up: m002.up },
  { name: '003-slo-samples', up: m003.up },
  { name: '004-prediction-log', up: m004.up },
  { name: '005-alert-channels', up: m005.up },
  { name: '006-version-references', up: m006.up },
  { name: '007-monitors', up: m007.up },
  { name: '008-alerts', up: m008.up },
  { name: '009-pipelines', up: m009.up },
  { name: '010-prediction-segments', up: m010.up },
  { name: '011-own-request-ids', up: m011.up },
  { name: '012-governance', up: m012.up },
  { name: '013-monitor-sections', up: m013.up },
  { name: '014-transparency', up: m014.up },
  { name: '015-cluster', up: m015.up },
  { name: '016-business-value', up: m016.up },
  { name: '017-alert-reports', up: m017.up },
  { name: '018-traffic-samples', up: m018.up },
];

/** The migrations this release knows, in order. */
export const migrationNames = (): string[] => MIGRATIONS.map((m) => m.name);

/**
 * Applies pending migrations, each in its own transaction. Concurrent starters (several workers or
 * machines) are serialised: an advisory lock on PostgreSQL, the write lock taken at BEGIN on SQLite.
 * Returns the names applied by this call. `until` stops after the named migration (tests of a
 * later migration start from the schema before it).
 */
export async function migrate(db: Kysely<unknown>, dialect: Dialect, until?: string): Promise<string[]> {
  await db.schema
    .createTable('sextant_migrations')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    const done = await db.transaction().execute(async (trx) => {
      // SQLite transactions begin IMMEDIATE (see database.ts), which already serialises starters.
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(7355608)`.execute(trx);
      const { rows } = await sql`select name from sextant_migrations where name = ${m.name}`.execute(trx);
      if (rows.length > 0) return false;
      await m.up(trx, dialect);
      await sql`insert into sextant_migrations (name, applied_at) values (${m.name}, ${new Date().toISOString()})`.execute(trx);
      return true;
    });
    if (done) applied.push(m.name);
    if (m.name === until) break;
  }
  return applied;
}

