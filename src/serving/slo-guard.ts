import type { Logger } from '../shared/logger.js';
import type { DeploymentService } from './deployment-service.js';
import type { LiveDeployment, LiveDeployments } from './live-deployments.js';
import type { ServingMetrics } from './serving-metrics.js';

const MAX_OBSERVATIONS = 100_000;

interface Observation {
  t: number;
  ms: number;
  error: boolean;
}

/**
 * Watches canaries against their deployment's SLO (p99 latency, error rate over a window) and
 * sets a breaching canary's weight to 0; the change is audited with the figures that decided it.
 */
export class SloGuard {
  private readonly windows = new Map<string, Observation[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly live: LiveDeployments,
    private readonly deployments: DeploymentService,
    private readonly metrics: ServingMetrics,
    private readonly logger: Logger,
  ) {}

  /** Records one canary request; primaries are not judged, so they are not recorded. */
  record(deployment: LiveDeployment, version: number, ms: number, error: boolean): void {
    if (!deployment.spec.slo || deployment.spec.canary?.version !== version) return;
    const key = `${deployment.name}\u0000${version}`;
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = []));
    w.push({ t: Date.now(), ms, error });
    // Trim in halves, not per request: keeps the cost amortised O(1).
    if (w.length > 2 * MAX_OBSERVATIONS) this.windows.set(key, w.slice(-MAX_OBSERVATIONS));
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over every canary with an SLO; returns the deployments it rolled back. */
  async check(): Promise<string[]> {
    const rolledBack: string[] = [];
    for (const d of this.live.all()) {
      const slo = d.spec.slo;
      const canary = d.spec.canary;
      if (!slo || !canary || canary.weight === 0) continue;
      const w = (this.windows.get(`${d.name}\u0000${canary.version}`) ?? []).filter((o) => o.t >= Date.now() - slo.windowSeconds * 1000);
      this.windows.set(`${d.name}\u0000${canary.version}`, w);
      if (w.length < slo.minRequests) continue;
      const sorted = w.map((o) => o.ms).sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!;
      const errorRate = w.filter((o) => o.error).length / w.length;
      const reasons: string[] = [];
      if (slo.p99LatencyMs !== undefined && p99 > slo.p99LatencyMs) reasons.push(`p99 ${p99.toFixed(2)} ms > ${slo.p99LatencyMs} ms`);
      if (slo.maxErrorRate !== undefined && errorRate > slo.maxErrorRate) reasons.push(`error rate ${(errorRate * 100).toFixed(2)} % > ${(slo.maxErrorRate * 100).toFixed(2)} %`);
      if (reasons.length === 0) continue;
      const reason = `SLO breached by canary version ${canary.version} over ${w.length} requests in ${slo.windowSeconds} s: ${reasons.join('; ')}`;
      try {
        if (await this.deployments.zeroCanary(d.name, canary.version, reason)) {
          this.metrics.sloRollbacks.labels(d.name).inc();
          this.logger.warn({ deployment: d.name, version: canary.version, reason }, 'canary rolled back by SLO guard');
          rolledBack.push(d.name);
          await this.live.refresh();
        }
      } catch (err) {
        this.logger.error({ err, deployment: d.name }, 'SLO guard could not roll back the canary');
      }
    }
    return rolledBack;
  }
}
