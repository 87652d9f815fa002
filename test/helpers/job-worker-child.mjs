// A job worker in its own process, for the test that kills a worker mid-job. It runs jobs of
// kind "sleepy" that log a line and then never finish, renewing their lease until killed.
import { openDatabase } from '../../dist/storage/index.js';
import { JobQueue, JobWorker } from '../../dist/pipelines/index.js';
import { silentLogger } from '../../dist/shared/logger.js';
import { systemClock } from '../../dist/shared/clock.js';

const database = openDatabase(JSON.parse(process.argv[2]));
const queue = new JobQueue(database.db, database.dialect, systemClock);
const worker = new JobWorker(
  queue,
  { sleepy: (_job, ctx) => { ctx.log('started on the child worker'); return new Promise(() => {}); } },
  silentLogger,
  { id: 'child-worker', leaseMs: 1500, heartbeatMs: 200, pollMs: 100 },
);
worker.start();
process.stdout.write('ready\n');
