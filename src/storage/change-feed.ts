import { createRequire } from 'node:module';
import type { Client } from 'pg';
import type { DatabaseConfig } from '../config/index.js';
import type { Logger } from '../shared/logger.js';

/** A subscription to serving-state changes made by any process; `close` ends it. */
export interface ChangeFeed {
  close(): Promise<void>;
}

export interface ChangeFeedOptions {
  /** Called when the change sequence may have moved: on a notification (with the number it carries), and after reconnecting. */
  onChange: (seq?: number) => void;
  logger: Logger;
  /** While the connection is down, `onChange` is called this often instead (the poll SQLite always uses). */
  fallbackMs: number;
}

/**
 * PostgreSQL tells every listener when `change_seq` moves (a trigger, migration 015): each change
 * reaches every node in a round trip instead of at its next poll. On one connection of its own,
 * outside the pool; when it drops, changes are polled for every `fallbackMs` until it is back.
 * SQLite has no notifications and keeps its poll, so this returns null there.
 */
export async function listenForChanges(config: DatabaseConfig, options: ChangeFeedOptions): Promise<ChangeFeed | null> {
  if (config.kind !== 'postgres') return null;
  const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
  let client: Client | undefined;
  let closed = false;
  let fallback: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;

  const degrade = () => {
    if (closed || fallback) return;
    fallback = setInterval(() => options.onChange(), options.fallbackMs);
    fallback.unref();
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: config.url,
      connectionTimeoutMillis: 5000,
      ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
    });
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = undefined;
      void c.end().catch(() => {});
      if (closed) return;
      options.logger.warn({ err }, 'lost the PostgreSQL change notifications; polling until they are back');
      degrade();
      retry = setTimeout(() => void connect().catch(() => {}), 1000);
      retry.unref();
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', (n) => {
      const seq = Number(n.payload);
      options.onChange(Number.isFinite(seq) ? seq : undefined);
    });
    client = c;
    try {
      await c.connect();
      const schema = (await c.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
      await c.query(`listen ${c.escapeIdentifier(`sextant_change_${schema}`)}`);
    } catch (err) {
      lost(err as Error);
      throw err;
    }
    clearInterval(fallback);
    fallback = undefined;
    // Whatever changed while nobody listened.
    options.onChange();
  };

  try {
    await connect();
  } catch {
    // Already polling and retrying; the node serves meanwhile.
  }
  return {
    close: async () => {
      closed = true;
      clearInterval(fallback);
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
