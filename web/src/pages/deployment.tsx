import { useQuery } from '@tanstack/react-query';
import type { Deployment } from '../../../src/sdk/browser.js';
import { Loaded } from '../components/notes.js';
import { SplitBar } from '../components/split.js';
import { Pill } from '../components/status.js';
import { ago, ms, pct } from '../format.js';
import { Link } from '../router.js';
import { useClient } from '../session.js';
import { DeploymentActions } from './deployment-actions.js';
import { TrafficCharts } from './deployment-charts.js';
import { PredictionBrowser } from './prediction-browser.js';
import { QualityPanel } from './quality-panel.js';
import { ValuePanel } from './value-panel.js';

/** The split configured now, and what the last minute of traffic actually went to. */
function Split({ d }: { d: Deployment }) {
  const client = useClient();
  const observed = useQuery({
    queryKey: ['traffic-minute', d.name],
    queryFn: () => client.dashboard.traffic(d.name, { since: new Date(Date.now() - 70_000).toISOString(), step: 10 }),
    refetchInterval: 5_000,
  });
  const counts = new Map<number, number>();
  for (const p of observed.data?.points ?? []) for (const [v, n] of Object.entries(p.versions)) counts.set(Number(v), (counts.get(Number(v)) ?? 0) + n);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const canaryVersion = d.canary?.version;
  return (
    <section className="card" aria-labelledby="split-title">
      <h2 id="split-title">Traffic split</h2>
      <SplitBar routes={d.routes} label="Configured split" />
      <h3>Served in the last minute</h3>
      {total === 0 ? (
        <p className="muted">No requests in the last minute.</p>
      ) : (
        <SplitBar
          label="Observed split"
          routes={[...counts].sort((a, b) => a[0] - b[0]).map(([version, n]) => ({ version, weight: (n / total) * 100, role: version === canaryVersion ? 'canary' : 'primary' }))}
        />
      )}
      <dl className="facts" style={{ marginTop: '0.75rem' }}>
        <dt>Follows</dt>
        <dd>{d.alias ? `${d.model}@${d.alias}` : 'pinned versions'}</dd>
        <dt>Shadows</dt>
        <dd>{d.shadow.length ? d.shadow.map((v) => `v${v}`).join(', ') : 'none'}</dd>
        <dt>SLO</dt>
        <dd>{d.slo ? `p99 ≤ ${ms(d.slo.p99LatencyMs ?? null)}, errors ≤ ${pct(d.slo.maxErrorRate ?? null)} over ${d.slo.windowSeconds} s` : 'none'}</dd>
        <dt>Batching</dt>
        <dd>{d.batching ? `up to ${d.batching.maxBatchSize} rows or ${d.batching.maxLatencyMs} ms` : 'off'}</dd>
        <dt>Logging</dt>
        <dd>
          {pct(d.logging.sampleRate, 0)} of requests{d.logging.redact.length ? `, redacting ${d.logging.redact.join(', ')}` : ''}
        </dd>
        <dt>Last change</dt>
        <dd>{d.lastEvent ? `${d.lastEvent.action} ${ago(d.lastEvent.time)}${d.lastEvent.reason ? `: ${d.lastEvent.reason}` : ''}` : 'none since creation'}</dd>
      </dl>
    </section>
  );
}

export function DeploymentPage({ name }: { name: string }) {
  const client = useClient();
  const deployment = useQuery({ queryKey: ['deployment', name], queryFn: () => client.deployments.get(name), refetchInterval: 3_000 });
  const overview = useQuery({ queryKey: ['overview'], queryFn: () => client.dashboard.overview(), refetchInterval: 5_000 });
  const monitored = overview.data?.deployments.find((x) => x.name === name)?.monitored;
  return (
    <Loaded query={deployment} what={`deployment ${name}`}>
      {(d) => (
        <>
          <div className="page-head">
            <div>
              <p className="muted small">
                <Link to="/">Overview</Link> / deployment
              </p>
              <h1>{d.name}</h1>
              <p className="muted">
                serves <Link to={`/models/${encodeURIComponent(d.model)}`}>{d.model}</Link>
                {d.alias ? ` @${d.alias}` : ''} ·{' '}
                <Link to={`/monitoring?deployment=${encodeURIComponent(d.name)}`}>drift and alerts</Link>
                {d.canary && (
                  <>
                    {' '}
                    · <Pill tone="info">canary v{d.canary.version} at {d.canary.weight} %</Pill>
                  </>
                )}
              </p>
            </div>
            <DeploymentActions d={d} />
          </div>
          <div className="grid two">
            <Split d={d} />
            {monitored !== undefined && <QualityPanel deployment={d.name} monitored={monitored} />}
          </div>
          {monitored && <ValuePanel deployment={d.name} />}
          <TrafficCharts deployment={d.name} />
          <PredictionBrowser deployment={d.name} model={d.model} />
        </>
      )}
    </Loaded>
  );
}
