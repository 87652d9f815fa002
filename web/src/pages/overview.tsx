import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { DeploymentHealth, Model } from '../../../src/sdk/browser.js';
import { Empty, Loaded } from '../components/notes.js';
import { SplitText } from '../components/split.js';
import { Pill, StatusBadge } from '../components/status.js';
import { ago, ms, num, pct, rate } from '../format.js';
import { Link, useSearchParam } from '../router.js';
import type { SextantClient } from '../api.js';
import { useClient } from '../session.js';

/** The overview's two reads, shared with the start-up prefetch (main.tsx). */
export const overviewQuery = (client: SextantClient) => ({ queryKey: ['overview'], queryFn: () => client.dashboard.overview() });
export const modelsQuery = (client: SextantClient, q: string | null, page: string | undefined) => ({
  queryKey: ['models', q, page],
  queryFn: () => client.models.list({ q: q || undefined, pageSize: 50, pageToken: page }),
});

const ORDER: Record<DeploymentHealth['status'], number> = { critical: 0, warning: 1, ok: 2, idle: 3 };

/** The newest window's main metric, measured (from labels) and estimated (from scores). */
function quality(d: DeploymentHealth): string {
  const m = d.quality?.measured ?? {};
  const [metric, measured] = m.accuracy !== undefined && m.accuracy !== null ? ['acc', m.accuracy] : m.rmse !== undefined && m.rmse !== null ? ['rmse', m.rmse] : ['acc', null];
  const estimated = d.quality?.estimated?.accuracy;
  const parts = [measured !== null ? `${metric} ${num(measured)}` : null, estimated !== undefined ? `est. ${metric} ${num(estimated)}` : null].filter(Boolean);
  return parts.length ? parts.join(' · ') : '–';
}

function DeploymentsTable({ deployments }: { deployments: DeploymentHealth[] }) {
  if (deployments.length === 0) return <Empty>No deployments yet: create one with <code>sextant deploy create NAME --model MODEL --alias champion</code>.</Empty>;
  const sorted = [...deployments].sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.name.localeCompare(b.name));
  return (
    <div className="table-wrap" tabIndex={0}>
      <table>
        <caption className="sr-only">Deployments with their health, worst first</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Deployment</th>
            <th scope="col">Model</th>
            <th scope="col">Serving</th>
            <th scope="col" className="num">req/s</th>
            <th scope="col" className="num">p50 / p99</th>
            <th scope="col" className="num">Errors</th>
            <th scope="col">Drift</th>
            <th scope="col">Quality</th>
            <th scope="col" className="num">Alerts</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((d) => (
            <tr key={d.name}>
              <td>
                <StatusBadge status={d.status} title={d.reasons.join('\n') || undefined} />
              </td>
              <td>
                <Link to={`/deployments/${encodeURIComponent(d.name)}`}>{d.name}</Link>
                {d.reasons[0] && <div className="muted small">{d.reasons[0]}</div>}
              </td>
              <td>
                <Link to={`/models/${encodeURIComponent(d.model)}`}>{d.model}</Link>
                {d.alias && <span className="muted small"> @{d.alias}</span>}
              </td>
              <td>
                <SplitText routes={d.routes} />
              </td>
              <td className="num">{rate(d.traffic.requestsPerSecond)}</td>
              <td className="num">
                {ms(d.traffic.p50Ms)} / {ms(d.traffic.p99Ms)}
              </td>
              <td className="num">{pct(d.traffic.errorRate)}</td>
              <td>{d.drift ? d.drift.drifted ? <Pill tone="warn">drift {pct(d.drift.driftedShare, 0)}</Pill> : <Pill tone="good" title="share of features drifted in the newest window">stable {pct(d.drift.driftedShare, 0)}</Pill> : <span className="muted">no monitor</span>}</td>
              <td className="mono small">{quality(d)}</td>
              <td className="num">{d.openAlerts > 0 ? <Pill tone="bad">{d.openAlerts}</Pill> : '0'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Kpis({ deployments, openAlerts }: { deployments: DeploymentHealth[]; openAlerts: number }) {
  const total = deployments.reduce((s, d) => s + d.traffic.requestsPerSecond, 0);
  const unhealthy = deployments.filter((d) => d.status === 'critical' || d.status === 'warning').length;
  const drifting = deployments.filter((d) => d.drift?.drifted).length;
  const items = [
    { label: 'Deployments', value: String(deployments.length) },
    { label: 'Requests per second (last minute)', value: rate(total) },
    { label: 'Needing attention', value: String(unhealthy) },
    { label: 'Drifting', value: String(drifting) },
    { label: 'Open alerts', value: String(openAlerts) },
  ];
  return (
    <ul className="kpis" aria-label="At a glance" style={{ listStyle: 'none', padding: 0 }}>
      {items.map((k) => (
        <li key={k.label} className="kpi">
          <div className="value">{k.value}</div>
          <div className="label">{k.label}</div>
        </li>
      ))}
    </ul>
  );
}

function ModelsTable({ models }: { models: Model[] }) {
  if (models.length === 0) return <Empty>No models match.</Empty>;
  return (
    <div className="table-wrap" tabIndex={0}>
      <table>
        <caption className="sr-only">Models</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Task</th>
            <th scope="col" className="num">Champion</th>
            <th scope="col" className="num">Versions</th>
            <th scope="col" className="hide-narrow">Owner</th>
            <th scope="col" className="hide-narrow">Tags</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.name}>
              <td>
                <Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
              </td>
              <td>{m.task}</td>
              <td className="num">{m.aliases.champion ?? '–'}</td>
              <td className="num">{m.latestVersion ?? 0}</td>
              <td className="hide-narrow">{m.owner}</td>
              <td className="hide-narrow">
                <span className="pills">
                  {Object.entries(m.tags)
                    .slice(0, 3)
                    .map(([k, v]) => (
                      <Pill key={k}>{v ? `${k}=${v}` : k}</Pill>
                    ))}
                </span>
              </td>
              <td title={m.updatedAt}>{ago(m.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Models, searchable by name, a page at a time (the registry may hold thousands). */
function Models() {
  const client = useClient();
  const [q, setQ] = useSearchParam('q');
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const page = tokens[tokens.length - 1];
  const models = useQuery({ ...modelsQuery(client, q, page), placeholderData: keepPreviousData });
  return (
    <section className="card" aria-labelledby="models-title">
      <div className="card-head">
        <h2 id="models-title">Models</h2>
        <div className="filters" role="search" style={{ margin: 0 }}>
          <div className="field">
            <label htmlFor="model-search">Search by name</label>
            <input
              id="model-search"
              type="search"
              value={q ?? ''}
              onChange={(e) => {
                setTokens([undefined]);
                setQ(e.target.value);
              }}
              placeholder="fraud"
            />
          </div>
        </div>
      </div>
      <Loaded query={models} what="models">
        {(p) => (
          <>
            <ModelsTable models={p.models} />
            <div className="actions" style={{ marginTop: '0.75rem' }}>
              <button type="button" disabled={tokens.length === 1} onClick={() => setTokens(tokens.slice(0, -1))}>
                Previous
              </button>
              <span className="muted small">Page {tokens.length}</span>
              <button type="button" disabled={!p.nextPageToken} onClick={() => setTokens([...tokens, p.nextPageToken!])}>
                Next
              </button>
            </div>
          </>
        )}
      </Loaded>
    </section>
  );
}

export function OverviewPage() {
  const client = useClient();
  const overview = useQuery({ ...overviewQuery(client), refetchInterval: 5_000 });
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Overview</h1>
          <p className="muted">Every deployment's health, refreshed every 5 seconds{overview.data ? ` (as of ${new Date(overview.data.generatedAt).toLocaleTimeString()})` : ''}.</p>
        </div>
      </div>
      <Loaded query={overview} what="the overview">
        {(o) => (
          <>
            <Kpis deployments={o.deployments} openAlerts={o.openAlerts} />
            <section className="card" aria-labelledby="deployments-title">
              <div className="card-head">
                <h2 id="deployments-title">Deployments</h2>
              </div>
              <DeploymentsTable deployments={o.deployments} />
            </section>
          </>
        )}
      </Loaded>
      <Models />
    </>
  );
}
