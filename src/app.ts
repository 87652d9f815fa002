import { openBlobStore, type BlobStore } from './artifacts/index.js';
import type { Config } from './config/index.js';
import { AuditLog, TokenService } from './governance/index.js';
import { createRegistry, type Registry } from './registry/index.js';
import { type Clock, systemClock } from './shared/clock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { migrate, openDatabase, type Database } from './storage/index.js';

/** Every service of a running Sextant, wired over one database and one blob store. */
export interface App {
  readonly config: Config;
  readonly database: Database;
  readonly blobs: BlobStore;
  readonly registry: Registry;
  readonly audit: AuditLog;
  readonly tokens: TokenService;
  readonly clock: Clock;
  readonly logger: Logger;
  close(): Promise<void>;
}

export interface BuildOptions {
  clock?: Clock;
  logger?: Logger;
  /** Run pending migrations before returning (the default). */
  migrate?: boolean;
}

/** Composition root: the only place that chooses adapters. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = openDatabase(config.database);
  try {
    if (options.migrate !== false) {
      const applied = await migrate(database.db as never, database.dialect);
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    }
    const blobs = openBlobStore(config.artifacts);
    const registry = createRegistry({ db: database.db, blobs, clock, maxArtifactBytes: config.limits.artifactBytes });
    return {
      config,
      database,
      blobs,
      registry,
      audit: new AuditLog(database.db),
      tokens: new TokenService(database.db, clock),
      clock,
      logger,
      close: () => database.close(),
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
