import type { Kysely } from 'kysely';
import type { Job, PolicySpec } from '../contracts/pipelines.js';
import type { EventBus, SextantEvent } from '../events/index.js';
import type { PredictionStore } from '../monitoring/index.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import { cronMatches, parseCron } from './cron.js';
import type { JobQueue } from './job-queue.js';
import type { PolicyService } from './policy-service.js';
import { RETRAIN, type RetrainService, SYSTEM_ACTOR } from './retrain-service.js';
import { periodic } from '../shared/periodic.js';

/**
 * Turns policy triggers into retrain jobs: drift and quality breaches of monitor windows from the bus, cron schedules and
 * label counts from a periodic pass. The cooldown, "one in flight" (a unique index) and the
 * schedule tick (a primary key per model and minute) make several processes firing at once harmless.
 */
export class RetrainTriggers {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly policies: PolicyService,
    private readonly retrain: RetrainService,
    private readonly queue: JobQueue,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly log: PredictionStore,
  ) {}

  /** Queues a retrain unless the policy is off, a job is in flight, or the cooldown has not passed; returns the job or why not. */
  async fire(model: string, trigger: Job['trigger'], policy: PolicySpec): Promise<Job | string> {
    if (!policy.enabled) return 'policy disabled';
    if (await this.queue.inFlight(RETRAIN, model)) return 'a retrain is already in flight';
    // A challenger still ramping is the answer to the last breach; judge it before training another.
    const ramping = await this.db.selectFrom('promotions').select('id').where('model', '=', model).where('status', '=', 'running').executeTakeFirst();
    if (ramping) return 'a promotion is in progress';
    const last = await this.db.selectFrom('jobs').select('created_at').where('kind', '=', RETRAIN).where('model', '=', model).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    const since = last ? (this.clock.now().getTime() - Date.parse(last.created_at)) / 1000 : Infinity;
    if (since < policy.cooldownSeconds) return `in cooldown (${Math.round(since)} s of ${policy.cooldownSeconds} s since the last retrain)`;
    try {
      const job = await this.retrain.request(model, {}, { actor: SYSTEM_ACTOR }, trigger);
      this.logger.info({ model, job: job.id, trigger }, 'retrain triggered');
      return job;
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return 'a retrain is already in flight';
      throw err;
    }
  }

  /**
   * A monitor window: a drift breach fires the drift trigger, an accuracy or RMSE breach the quality
   * trigger. Breaches that continue across windows fire again once the cooldown has passed.
   */
  async onWindow(e: SextantEvent): Promise<Job | string> {
    const breaches = (e.data.breaches as { rule: string; message: string }[] | undefined) ?? [];
    if (breaches.length === 0) return 'no breach';
    const dep = await this.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .select('m.name as model')
      .where('d.name', '=', e.subject)
      .executeTakeFirst();
    if (!dep) return 'deployment gone';
    const policy = await this.policies.find(dep.model);
    if (!policy) return 'no policy';
    // Bad input data is not fixed by retraining on it: data-quality breaches trigger nothing.
    const kind = (rule: string) => (rule === 'drift' || rule === 'prediction_drift' ? 'drift' : rule === 'accuracy' || rule === 'rmse' ? 'quality' : null);
    const relevant = breaches.filter((b) => kind(b.rule) !== null);
    if (relevant.length === 0) return 'no drift or quality breach';
    const hit = relevant.find((b) => (kind(b.rule) === 'drift' ? policy.triggers.drift : policy.triggers.quality));
    if (!hit) return `${[...new Set(relevant.map((b) => kind(b.rule)))].join(', ')} trigger off`;
    return this.fire(dep.model, { type: kind(hit.rule)!, detail: `${e.subject}: ${hit.message}` }, policy);
  }

  /** Schedules and label counts; returns the jobs queued. */
  async tick(): Promise<Job[]> {
    const queued: Job[] = [];
    const now = this.clock.now();
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    for (const { model, spec } of await this.policies.list()) {
      if (!spec.enabled) continue;
      if (spec.triggers.schedule && cronMatches(parseCron(spec.triggers.schedule), minute)) {
        // The (model, minute) primary key lets exactly one process fire each tick.
        const claimed = await this.db.insertInto('schedule_ticks').values({ model, tick: minute.toISOString() }).onConflict((oc) => oc.columns(['model', 'tick']).doNothing()).executeTakeFirst();
        if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 1) {
          const r = await this.fire(model, { type: 'schedule', detail: `${spec.triggers.schedule} at ${minute.toISOString()}` }, { ...spec, cooldownSeconds: 0 });
          if (typeof r !== 'string') queued.push(r);
          else this.logger.info({ model, why: r }, 'scheduled retrain skipped');
        }
      }
      if (spec.triggers.newLabels) {
        const last = await this.db.selectFrom('jobs').select('created_at').where('kind', '=', RETRAIN).where('model', '=', model).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
        const since = last?.created_at ?? '';
        const n = await this.log.countLabels(model, since, spec.triggers.newLabels);
        if (n >= spec.triggers.newLabels) {
          const r = await this.fire(model, { type: 'labels', detail: `${n} new labels since ${since || 'the start'}` }, spec);
          if (typeof r !== 'string') queued.push(r);
        }
      }
    }
    return queued;
  }

  /** Listens for windows, and checks schedules and label counts every `intervalMs` where `gate` runs the pass (the scheduler's lease). */
  async start(intervalMs = 15_000, gate: (pass: () => Promise<Job[]>) => Promise<unknown> = (pass) => pass()): Promise<void> {
    this.unsubscribe = await this.events.subscribe('monitor.window', (e) =>
      this.onWindow(e)
        .then((r) => {
          if (typeof r === 'string' && r !== 'no breach' && r !== 'no policy') this.logger.info({ deployment: e.subject, why: r }, 'breach did not trigger a retrain');
        })
        .catch((err) => this.logger.warn({ err }, 'retrain trigger failed')),
    );
    this.timer = periodic(() => gate(() => this.tick()), intervalMs, (err) => this.logger.warn({ err }, 'retrain schedule pass failed'));
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }
}
