import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue, JobWorker } from '../src/pipelines/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { systemClock } from '../src/shared/clock.js';
import { migrate, untyped, openDatabase, type Database } from '../src/storage/index.js';
import type { DatabaseConfig } from '../src/config/index.js';
import { tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';
import { sleep, waitFor } from '../src/shared/wait-for.js';

const targets = await databaseTargets();
describe.each(targets)('job queue contract on $name', (target) => {
  let database: Database;
  let config: DatabaseConfig;
  let drop: () => Promise<void>;
  let queue: JobQueue;

  beforeAll(async () => {
    const db = await target.create(tempDir());
    config = db.config;
    drop = db.drop;
    database = openDatabase(config);
    await migrate(untyped(database.db), database.dialect);
    queue = new JobQueue(database.db, database.dialect, systemClock);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('claims the oldest job under a lease, renews it, finishes it, and keeps one retrain in flight per model', async () => {
    const a = await queue.enqueue({ kind: 'retrain', model: 'm1', createdBy: 't' });
    await expect(queue.enqueue({ kind: 'retrain', model: 'm1', createdBy: 't' })).rejects.toThrow(/already queued/);
    const b = await queue.enqueue({ kind: 'retrain', model: 'm2', createdBy: 't' });
    const first = await queue.claim('w1', ['retrain'], 10_000);
    expect(first?.id).toBe(a.id);
    expect(first?.status).toBe('running');
    expect(first?.attempts).toBe(1);
    expect(await queue.heartbeat(a.id, 'w1', 10_000)).toBe('ok');
    expect(await queue.heartbeat(a.id, 'someone-else', 10_000)).toBe('lost');
    expect(await queue.finish(a.id, 'w1', { status: 'succeeded', result: { version: 2 } })).toBe(true);
    expect((await queue.get(a.id)).result).toEqual({ version: 2 });
    // Finished: a new retrain of m1 may be queued again.
    const again = await queue.enqueue({ kind: 'retrain', model: 'm1', createdBy: 't' });
    expect((await queue.claim('w1', ['retrain'], 10_000))?.id).toBe(b.id);
    expect((await queue.claim('w1', ['retrain'], 10_000))?.id).toBe(again.id);
    expect(await queue.claim('w1', ['retrain'], 10_000)).toBeNull();
  });

  it('never hands one job to two concurrent claimers', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 12; i++) ids.add((await queue.enqueue({ kind: 'race', model: `r${i}`, createdBy: 't' })).id);
    const claimers = Array.from({ length: 4 }, async (_, w) => {
      const got: string[] = [];
      for (;;) {
        const j = await queue.claim(`w${w}`, ['race'], 10_000);
        if (!j) return got;
        got.push(j.id);
      }
    });
    const all = (await Promise.all(claimers)).flat();
    expect(all.length).toBe(12);
    expect(new Set(all)).toEqual(ids);
  });

  it('cancels a queued job at once and a running one at its next heartbeat', async () => {
    const q = await queue.enqueue({ kind: 'cancel-me', model: 'c1', createdBy: 't' });
    expect((await queue.cancel(q.id, 'alice')).status).toBe('cancelled');
    await expect(queue.cancel(q.id, 'alice')).rejects.toThrow(/already cancelled/);
    const r = await queue.enqueue({ kind: 'cancel-me', model: 'c2', createdBy: 't' });
    const worker = new JobWorker(queue, { 'cancel-me': (_j, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) }, silentLogger, { leaseMs: 5000, heartbeatMs: 50 });
    const run = worker.tick();
    await waitFor('running', async () => (await queue.get(r.id)).status === 'running');
    await queue.cancel(r.id, 'bob');
    await run;
    const done = await queue.get(r.id);
    expect(done.status).toBe('cancelled');
    expect((await queue.logs(r.id, {})).lines.map((l) => l.line)).toEqual(expect.arrayContaining(['cancel requested by bob', 'cancelled: cancelled']));
  });

  it('fails a job that outlives its timeout, with the reason', async () => {
    const j = await queue.enqueue({ kind: 'slow', model: 's1', createdBy: 't', timeoutSeconds: 1 });
    const worker = new JobWorker(queue, { slow: () => new Promise(() => {}) }, silentLogger, { leaseMs: 5000, heartbeatMs: 100 });
    await worker.tick();
    const done = await queue.get(j.id);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('timed out after 1 s');
  });

  it('retries a job exactly once more on another worker when its worker process is killed mid-job', async () => {
    const job = await queue.enqueue({ kind: 'sleepy', model: 'k1', createdBy: 't', maxAttempts: 2 });
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'helpers', 'job-worker-child.mjs'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await waitFor('the child to start the job', async () => (await queue.logs(job.id, {})).lines.some((l) => l.line === 'started on the child worker'));
      expect((await queue.get(job.id)).leaseOwner).toBe('child-worker');
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    let ran = 0;
    const survivor = new JobWorker(queue, { sleepy: async (_j, ctx) => (ran++, ctx.log('finished on the survivor'), { ok: true }) }, silentLogger, { id: 'survivor', leaseMs: 1500 });
    // The lease (1.5 s) runs out, the job is requeued with a 1 s backoff, then the survivor takes it.
    const done = await waitFor('the survivor to finish the job', async () => {
      await survivor.tick();
      const j = await queue.get(job.id);
      return j.status === 'succeeded' ? j : null;
    });
    expect(ran).toBe(1);
    expect(done.attempts).toBe(2);
    const lines = (await queue.logs(job.id, {})).lines.map((l) => l.line);
    expect(lines.some((l) => /worker child-worker lost its lease .*queued for attempt 2 of 2/.test(l))).toBe(true);
    expect(lines).toContain('attempt 2 of 2 on worker survivor');
    // A second death leaves no attempts: the job fails instead of looping.
    const twice = await queue.enqueue({ kind: 'sleepy', model: 'k2', createdBy: 't', maxAttempts: 2 });
    for (const ghost of ['ghost-1', 'ghost-2']) {
      await waitFor(`${ghost} to claim`, async () => (await queue.claim(ghost, ['sleepy'], 200))?.id === twice.id);
      await sleep(250);
      await queue.reapExpired();
    }
    const failed = await queue.get(twice.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/ghost-2 lost its lease/);
  });
});
