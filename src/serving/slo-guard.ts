import os from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from '../shared/logger.js';
import type { DB } from '../storage/index.js';
import type { DeploymentService } from './deployment-service.js';
import { addTo, type Histogram, mergeInto, quantile } from './latency-histogram.js';
import type { LiveDeployment, LiveDeployments } from './live-deployments.js';
import type { ServingMetrics } from './serving-metrics.js';
import { periodic } from '../shared/periodic.js';

interface Second {
  count: number;
  errors: number;
  histogram: Histogram;
}

/**
 * Watches canaries against their deployment's SLO. Every process counts its canary requests per
 * second and flushes finished seconds to the database; the guard combines all processes' seconds
 * over the window before judging, and a breach sets the canary's weight to 0 through the normal
 * (audited) deployment change, which publishes `deployment.slo_rollback` with the evidence.
 * Several processes may judge; the change is idempotent.
 */
export class SloGuard {
  private readonly pending = new Map<string, Second>();
  private readonly worker = `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly live: LiveDeployments,
    private readonly deployments: DeploymentService,
    private readonly metrics: ServingMetrics,
    private readonly logger: Logger,
  ) {}

  /** Records one canary request; primaries are not judged, so they are not recorded. */
  record(deployment: LiveDeployment, version: number, ms: number, error: boolean): void {
    if (!deployment.spec.slo || deployment.spec.canary?.version !== version) return;
    const key = `${deployment.name}\u0000${version}\u0000${Math.floor(Date.now() / 1000)}`;
    let s = this.pending.get(key);
    if (!s) this.pending.set(key, (s = { count: 0, errors: 0, histogram: new Map() }));
    s.count++;
    if (error) s.errors++;
    addTo(s.histogram, ms);
  }

  start(intervalMs = 1000): void {
    this.timer = periodic(() => this.tick(), intervalMs, (err) => this.logger.warn({ err }, 'SLO guard pass failed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      await this.flush();
      await this.check();
    } catch (err) {
      this.logger.warn({ err }, 'SLO guard pass failed');
    }
  }

  /** Writes this process's finished seconds (all of them when `all`) to the database. */
  async flush(all = false): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const rows = [];
    for (const [key, s] of this.pending) {
      const [deployment, version, second] = key.split('\u0000');
      if (!all && Number(second) >= now) continue;
      this.pending.delete(key);
      rows.push({
        deployment: deployment!,
        version: Number(version),
        worker: this.worker,
        second: Number(second),
        count: s.count,
        errors: s.errors,
        histogram: JSON.stringify(Object.fromEntries(s.histogram)),
      });
    }
    if (rows.length > 0) await this.db.insertInto('slo_samples').values(rows).execute();
    if (now - this.lastPrune > 600) {
      this.lastPrune = now;
      await this.db.deleteFrom('slo_samples').where('second', '<', now - 86_400).execute();
    }
  }

  /** One pass over every canary with an SLO, on figures from all processes; returns the deployments rolled back. */
  async check(): Promise<string[]> {
    const rolledBack: string[] = [];
    const now = Math.floor(Date.now() / 1000);
    // Specs come from the database, so a process that serves nothing (the jobs process judging a
    // canary before a promotion step) sees every deployment too.
    for (const d of await this.deployments.specs()) {
      const slo = d.spec.slo;
      const canary = d.spec.canary;
      if (!slo || !canary || canary.weight === 0) continue;
      const rows = await this.db
        .selectFrom('slo_samples')
        .select(['count', 'errors', 'histogram'])
        .where('deployment', '=', d.name)
        .where('version', '=', canary.version)
        .where('second', '>=', now - slo.windowSeconds)
        .execute();
      const histogram: Histogram = new Map();
      let count = 0;
      let errors = 0;
      for (const r of rows) {
        count += Number(r.count);
        errors += Number(r.errors);
        mergeInto(histogram, JSON.parse(r.histogram) as Record<string, number>);
      }
      if (count < slo.minRequests) continue;
      const p99 = quantile(histogram, 0.99);
      const errorRate = errors / count;
      const reasons: string[] = [];
      if (slo.p99LatencyMs !== undefined && p99 > slo.p99LatencyMs) reasons.push(`p99 ${p99.toFixed(2)} ms > ${slo.p99LatencyMs} ms`);
      if (slo.maxErrorRate !== undefined && errorRate > slo.maxErrorRate) reasons.push(`error rate ${(errorRate * 100).toFixed(2)} % > ${(slo.maxErrorRate * 100).toFixed(2)} %`);
      if (reasons.length === 0) continue;
      const reason = `SLO breached by canary version ${canary.version} over ${count} requests in ${slo.windowSeconds} s: ${reasons.join('; ')}`;
      try {
        if (await this.deployments.zeroCanary(d.name, canary.version, reason, { requests: count, p99Ms: p99, errorRate })) {
          this.metrics.sloRollbacks.labels(d.name).inc();
          this.logger.warn({ deployment: d.name, version: canary.version, reason }, 'canary rolled back by SLO guard');
          rolledBack.push(d.name);
          if (this.live.started) await this.live.refresh();
        }
      } catch (err) {
        this.logger.error({ err, deployment: d.name }, 'SLO guard could not roll back the canary');
      }
    }
    return rolledBack;
  }
}
