import { hostname } from 'node:os';
import type { Job } from '../contracts/pipelines.js';
import { AppError } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import { isUnavailable } from '../storage/index.js';
import type { JobQueue } from './job-queue.js';

/** What a handler gets besides its job: a log, and a signal that fires on cancel, timeout or lost lease. */
export interface JobContext {
  log(line: string): void;
  signal: AbortSignal;
}

/** Runs one job; its return value is stored as the result. Throwing fails the job (transient storage errors retry). */
export type JobHandler = (job: Job, ctx: JobContext) => Promise<Record<string, unknown>>;

export interface JobWorkerOptions {
  id?: string;
  leaseMs?: number;
  pollMs?: number;
  heartbeatMs?: number;
}

/** Why a running job stopped early; `AbortSignal.reason` carries it to the handler. */
export class JobStopped extends Error {
  constructor(readonly why: 'cancel' | 'timeout' | 'lost') {
    super(why === 'cancel' ? 'cancelled' : why === 'timeout' ? 'timed out' : 'lease lost');
  }
}

/**
 * Claims jobs one at a time and runs them: renews the lease while the handler works, stops the
 * handler on cancel or timeout, buffers log lines and flushes them with each heartbeat, and reaps
 * jobs whose workers died.
 */
export class JobWorker {
  readonly id: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: Record<string, JobHandler>,
    private readonly logger: Logger,
    o: JobWorkerOptions = {},
  ) {
    this.id = o.id ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 1000;
    this.heartbeatMs = o.heartbeatMs ?? Math.min(1000, this.leaseMs / 3);
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch((err) => this.logger.warn({ err }, 'job worker pass failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(loop, this.pollMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: reap expired leases, then run jobs until none is runnable. Returns the jobs run. */
  async tick(): Promise<string[]> {
    await this.queue.reapExpired();
    const ran: string[] = [];
    for (;;) {
      if (this.stopped && ran.length > 0) break;
      const job = await this.queue.claim(this.id, Object.keys(this.handlers), this.leaseMs);
      if (!job) break;
      ran.push(job.id);
      await this.run(job);
    }
    return ran;
  }

  private async run(job: Job): Promise<void> {
    const abort = new AbortController();
    const pending: string[] = [];
    const flush = async () => {
      const lines = pending.splice(0);
      if (lines.length) await this.queue.log(job.id, lines).catch((err) => this.logger.warn({ err, job: job.id }, 'could not store job log lines'));
    };
    const log = (line: string) => {
      pending.push(`${line}`);
    };
    log(`attempt ${job.attempts} of ${job.maxAttempts} on worker ${this.id}`);
    const beat = setInterval(() => {
      void flush();
      void this.queue
        .heartbeat(job.id, this.id, this.leaseMs)
        .then((s) => {
          if (s !== 'ok' && !abort.signal.aborted) abort.abort(new JobStopped(s));
        })
        .catch((err) => this.logger.warn({ err, job: job.id }, 'job heartbeat failed'));
    }, this.heartbeatMs);
    const timeout = setTimeout(() => abort.abort(new JobStopped('timeout')), job.timeoutSeconds * 1000);
    try {
      const handler = this.handlers[job.kind]!;
      const result = await Promise.race([
        handler(job, { log, signal: abort.signal }),
        new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true })),
      ]);
      log('succeeded');
      await flush();
      await this.queue.finish(job.id, this.id, { status: 'succeeded', result });
    } catch (err) {
      const stop = abort.signal.aborted ? (abort.signal.reason as JobStopped) : null;
      if (stop?.why === 'lost') {
        this.logger.warn({ job: job.id }, 'job lease lost; its result is discarded');
        return;
      }
      const message = stop?.why === 'timeout' ? `timed out after ${job.timeoutSeconds} s` : stop?.why === 'cancel' ? 'cancelled' : (err as Error).message;
      log(`${stop?.why === 'cancel' ? 'cancelled' : 'failed'}: ${message}`);
      await flush();
      if (!stop && (isUnavailable(err) || (err instanceof AppError && err.code === 'unavailable'))) {
        await this.queue.retryLater(job.id, this.id, message);
      } else {
        await this.queue.finish(job.id, this.id, { status: stop?.why === 'cancel' ? 'cancelled' : 'failed', error: message });
      }
    } finally {
      clearInterval(beat);
      clearTimeout(timeout);
    }
  }
}
