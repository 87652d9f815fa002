import type { Command } from 'commander';
import { configFromProcess } from '../../config/index.js';
import os from 'node:os';
import type { RunningServer } from '../../server/index.js';
import { createLogger } from '../../shared/logger.js';
import { CliError } from '../cli-error.js';
import { positiveInt } from '../context.js';

// The server and the database drivers load when a command needs them (as do the app in
// quickstart, tokens and experiment), so that `sextant --help` and the commands that only talk
// to a server do not load the whole service first.

/** Stops the server on SIGTERM/SIGINT, letting in-flight requests finish first. */
export function stopOnSignals(running: RunningServer): void {
  const stop = (signal: string) => {
    running.app.logger.info({ signal }, 'draining and stopping');
    running.stop().then(
      () => process.exit(0),
      (err) => {
        running.app.logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('start the Sextant service')
    .option('--port <port>', 'port (default 8080, SEXTANT_PORT)')
    .option('--host <host>', 'bind address (default 127.0.0.1, SEXTANT_HOST)')
    .option('--home <dir>', 'state folder (default ./.sextant, SEXTANT_HOME)')
    .option('--auth', 'require bearer tokens (required off loopback)')
    .option('--workers <n>', 'server processes sharing the port (default: one per core)')
    .action(async (o) => {
      const config = configFromProcess({ port: o.port, host: o.host, home: o.home, auth: o.auth });
      const { runCluster, startServer } = await import('../../server/index.js');
      // Port 0 (any free port) cannot be shared by several processes, so it means one process.
      const workers = o.workers === undefined ? (config.port === 0 ? 1 : os.availableParallelism()) : positiveInt('--workers', o.workers);
      if (workers > 1) {
        if (config.port === 0) throw new CliError('--workers above 1 needs a fixed --port (workers share it)');
        const logger = createLogger(config.logLevel);
        await runCluster(config, workers, logger, (url) =>
          process.stderr.write(`sextant listening on ${url} (${workers} workers, ${config.database.kind})\ndashboard: ${url}/\n`),
        );
        return;
      }
      const running = await startServer(config);
      stopOnSignals(running);
      running.app.logger.info(
        { url: running.url, database: config.database.kind, artifacts: running.app.blobs.location, auth: config.auth.enabled },
        'sextant listening',
      );
      process.stderr.write(`sextant listening on ${running.url} (${config.database.kind}, artifacts in ${running.app.blobs.location})\ndashboard: ${running.url}/\n`);
    });

  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending migrations (the server also does this on start)')
    .option('--home <dir>', 'state folder (SEXTANT_HOME)')
    .action(async (o) => {
      const config = configFromProcess({ home: o.home });
      const { openDatabase, prepareSchema } = await import('../../storage/index.js');
      const database = openDatabase(config.database);
      try {
        // A schema from a newer release is refused here too, never half-understood.
        const applied = await prepareSchema(database, { mode: 'auto', logger: createLogger(config.logLevel) });
        const where = config.database.kind === 'sqlite' ? config.database.path : 'PostgreSQL';
        process.stdout.write(applied.length ? `applied ${applied.join(', ')} to ${where}\n` : `${where} is up to date\n`);
      } finally {
        await database.close();
      }
    });
}
