import cluster from 'node:cluster';
import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import type { Logger } from '../shared/logger.js';
import { buildApp } from '../app.js';
import { channelLogWriter, type LogMessage, segmentInserter, serveLogWrites } from '../monitoring/index.js';
import { migrate, openDatabase } from '../storage/index.js';
import { gatherMetricsForWorkers, reportMetricsToPrimary } from './cluster-metrics.js';
import { assertSafeBinding, startServer } from './start-server.js';

/** What a process sends once it runs: a serving process with the URL it listens on. */
interface ReadyMessage {
  type: 'sextant-ready';
  url?: string;
}

/**
 * Runs `workers` server processes sharing one port (node:cluster spreads connections) and one jobs
 * process (retraining, schedules, promotions) that serves nothing, so training never holds up a
 * request. The primary migrates once, forks, restarts a process that dies in the same role, and
 * on SIGTERM/SIGINT asks every process to drain and exits when they have. Workers keep only
 * caches; all shared state is in the database. On SQLite the primary also owns the prediction log's
 * writes: serving processes send it their serialised batches, so they never wait on each other
 * for the file's write lock.
 */
export async function runCluster(config: Config, workers: number, logger: Logger, onReady: (url: string) => void): Promise<void> {
  if (cluster.isWorker && config.pipelines.processRole === 'jobs') {
    const app = await buildApp(config);
    await app.start();
    reportMetricsToPrimary(app.serving.metrics.registry);
    const stop = () => void app.close().then(() => process.exit(0), () => process.exit(1));
    process.once('SIGTERM', stop);
    process.once('SIGINT', () => {});
    process.on('message', (m) => m === 'sextant-stop' && stop());
    process.send?.({ type: 'sextant-ready' } satisfies ReadyMessage);
    return;
  }
  if (cluster.isWorker) {
    const logWriter =
      config.database.kind === 'sqlite'
        ? channelLogWriter({
            send: (m) => process.send?.(m),
            onMessage: (listener) => process.on('message', listener),
            onClose: (listener) => process.once('disconnect', listener),
          })
        : undefined;
    const running = await startServer(config, await buildApp(config, { logWriter }));
    reportMetricsToPrimary(running.app.serving.metrics.registry);
    const stop = () => void running.stop().then(() => process.exit(0), () => process.exit(1));
    process.once('SIGTERM', stop);
    process.once('SIGINT', () => {});
    process.on('message', (m) => m === 'sextant-stop' && stop());
    process.send?.({ type: 'sextant-ready', url: running.url } satisfies ReadyMessage);
    return;
  }
  assertSafeBinding(config);
  const database = openDatabase(config.database);
  try {
    await migrate(database.db as Kysely<unknown>, database.dialect);
  } catch (err) {
    await database.close();
    throw err;
  }
  const writes = database.dialect === 'sqlite' ? serveLogWrites(segmentInserter(database)) : undefined;
  if (!writes) await database.close();
  // Structured clone instead of JSON between processes: log batches are mostly long strings.
  cluster.setupPrimary({ serialization: 'advanced' });
  cluster.on('message', (w, m: unknown) => writes?.(m, (ack: LogMessage) => w.isConnected() && w.send(ack)));
  let stopping = false;
  let announced = false;
  let ready = 0;
  const roles = new Map<number, 'serve' | 'jobs'>();
  /** Processes that have said they run, and so listen for the request to stop. */
  const running = new Set<number>();
  cluster.on('message', gatherMetricsForWorkers((w) => running.has(w.id)));
  const fork = (role: 'serve' | 'jobs') => {
    const w = cluster.fork({ SEXTANT_PROCESS_ROLE: role });
    roles.set(w.id, role);
    w.on('message', (m: ReadyMessage) => {
      if (m?.type !== 'sextant-ready') return;
      running.add(w.id);
      // Announce once every serving process listens, so the first requests reach all of them.
      if (role === 'serve' && !announced && ++ready === workers) {
        announced = true;
        onReady(m.url ?? '');
        // The jobs process starts once every serving process listens: started with them, it took
        // a third of the two cores while they loaded.
        if (config.pipelines.runJobs && !stopping) fork('jobs');
      }
    });
  };
  cluster.on('exit', (w, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) void (writes ? database.close() : Promise.resolve()).finally(() => process.exit(0));
      return;
    }
    const role = roles.get(w.id) ?? 'serve';
    roles.delete(w.id);
    running.delete(w.id);
    logger.error({ worker: w.process.pid, role, code, signal }, 'worker died; starting another');
    fork(role);
  });
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    logger.info('draining workers');
    // A process still starting has no listener for the request yet and would miss it; it has
    // nothing to drain either, so a signal ends it.
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w && running.has(w.id)) w.send('sextant-stop');
      else w?.process.kill('SIGTERM');
    }
  };
  process.once('SIGTERM', stopAll);
  process.once('SIGINT', stopAll);
  for (let i = 0; i < workers; i++) fork('serve');
}
