import type { Database } from './database.js';
import type { DB } from './schema.js';

/**
 * Inserts many rows of one table, skipping rows whose `conflict` key exists. On SQLite, one
 * prepared `INSERT OR IGNORE` run per row inside one transaction, while holding the query
 * builder's connection (so no other statement interleaves): several times cheaper per row than
 * building one large multi-row statement. On PostgreSQL, one multi-row insert through the query
 * builder. Resolves with the rows offered.
 */
export function bulkInserter<T extends keyof DB & string>(database: Database, table: T, columns: (keyof DB[T] & string)[], conflict: (keyof DB[T] & string)[]) {
  const sqlite = database.sqlite;
  if (sqlite) {
    const insert = sqlite.prepare(`INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    const many = sqlite.transaction((rows: DB[T][]) => {
      for (const r of rows) insert.run(columns.map((c) => (r as unknown as Record<string, unknown>)[c] ?? null));
    });
    return async (rows: DB[T][]): Promise<number> => {
      await database.db.connection().execute(async () => many(rows));
      return rows.length;
    };
  }
  return async (rows: DB[T][]): Promise<number> => {
    await database.db
      .insertInto(table)
      .values(rows as never)
      .onConflict((oc) => oc.columns(conflict as never).doNothing())
      .execute();
    return rows.length;
  };
}
