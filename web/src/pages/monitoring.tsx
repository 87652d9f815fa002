import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Alert, DriftDistribution } from '../../../src/sdk/browser.js';
import { describeError, NEEDS } from '../api.js';
import { Empty, ErrorNote, Loaded } from '../components/notes.js';
import { Pill } from '../components/status.js';
import { num, time } from '../format.js';
import { Link, useSearchParam } from '../router.js';
import { useClient, useSession } from '../session.js';
import { type Cell, DriftHeatmap } from './drift-heatmap.js';

const WINDOWS = 24;

/** Reference and current shares side by side, one pair of bars per bin or category. */
function Distributions({ d }: { d: DriftDistribution }) {
  const max = Math.max(1e-12, ...d.reference, ...d.current);
  return (
    <div>
      <div className="bars" role="table" aria-label={`${d.feature}: share of rows per ${d.kind === 'num' ? 'bin' : 'category'}, reference and current`}>
        <div role="row" className="sr-only">
          <span role="columnheader">{d.kind === 'num' ? 'bin' : 'category'}</span>
          <span role="columnheader">reference and current share</span>
        </div>
        {d.labels.map((label, i) => (
          <div className="brow" role="row" key={label}>
            <span role="rowheader" className="mono" title={label}>
              {label}
            </span>
            <span role="cell" className="bcell" aria-label={`reference ${(d.reference[i]! * 100).toFixed(1)} %, current ${(d.current[i]! * 100).toFixed(1)} %`}>
              <span className="b" style={{ width: `${(d.reference[i]! / max) * 100}%`, background: 'var(--ref)' }} />
              <span className="b" style={{ width: `${(d.current[i]! / max) * 100}%`, background: 'var(--cur)' }} />
            </span>
          </div>
        ))}
      </div>
      <div className="legend-row">
        <span>
          <span className="swatch" style={{ background: 'var(--ref)' }} />
          reference ({d.referenceRows} rows)
        </span>
        <span>
          <span className="swatch" style={{ background: 'var(--cur)' }} />
          current ({d.currentRows} rows)
        </span>
      </div>
    </div>
  );
}

function DriftDetail({ deployment, cell }: { deployment: string; cell: Cell }) {
  const client = useClient();
  const span = { since: cell.window.windowStart, until: cell.window.windowEnd };
  const dist = useQuery({
    queryKey: ['distribution', deployment, cell.window.windowEnd, cell.test.feature],
    queryFn: () => client.dashboard.driftDistribution(deployment, { ...span, feature: cell.test.feature }),
    staleTime: Infinity,
  });
  const [reportError, setReportError] = useState<string | null>(null);
  const openReport = async () => {
    // Fetched with the session's token, then shown from memory: a plain link could not send it.
    const tab = window.open('', '_blank');
    try {
      const html = await client.dashboard.driftReport(deployment, span);
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      if (tab) tab.location.href = url;
      else window.open(url, '_blank');
      setReportError(null);
    } catch (err) {
      tab?.close();
      setReportError(describeError(err));
    }
  };
  return (
    <section className="card" aria-labelledby="detail-title" aria-live="polite">
      <div className="card-head">
        <h2 id="detail-title">
          {cell.test.feature} <span className="muted small">window ending {time(cell.window.windowEnd)}</span>
        </h2>
        <button type="button" onClick={() => void openReport()}>
          Open the HTML drift report
        </button>
      </div>
      {reportError && <p className="error">{reportError}</p>}
      <dl className="facts">
        <dt>Test</dt>
        <dd>{cell.test.test}</dd>
        <dt>Statistic</dt>
        <dd className="mono">{num(cell.test.statistic, 5)}</dd>
        <dt>p-value</dt>
        <dd className="mono">{cell.test.pValue === null ? 'not a p-value test' : num(cell.test.pValue, 5)}</dd>
        <dt>Threshold</dt>
        <dd className="mono">{cell.test.threshold}</dd>
        <dt>Verdict</dt>
        <dd>{cell.test.drifted ? <Pill tone="bad">drifted</Pill> : <Pill tone="good">no drift</Pill>}</dd>
      </dl>
      <h3>Distributions</h3>
      <Loaded query={dist} what="the distributions">
        {(d) => <Distributions d={d} />}
      </Loaded>
    </section>
  );
}

function Alerts({ deployment }: { deployment: string | null }) {
  const client = useClient();
  const { can, me } = useSession();
  const queries = useQueryClient();
  const [status, setStatus] = useState<'open' | 'acked' | 'resolved' | ''>('open');
  const alerts = useQuery({ queryKey: ['alerts', status, deployment], queryFn: () => client.alerts.list({ status: status || undefined, deployment: deployment ?? undefined }), refetchInterval: 5_000 });
  const [error, setError] = useState<string | null>(null);
  const ack = async (a: Alert) => {
    try {
      await client.alerts.ack(a.id);
      setError(null);
      await queries.invalidateQueries({ queryKey: ['alerts'] });
      await queries.invalidateQueries({ queryKey: ['overview'] });
    } catch (err) {
      setError(describeError(err));
    }
  };
  const allowed = can(NEEDS.deploy);
  return (
    <section className="card" aria-labelledby="alerts-title">
      <div className="card-head">
        <h2 id="alerts-title">Alerts{deployment ? ` of ${deployment}` : ''}</h2>
        <div className="filters" style={{ margin: 0 }}>
          <div className="field">
            <label htmlFor="alert-status">Status</label>
            <select id="alert-status" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
              <option value="open">open</option>
              <option value="acked">acknowledged</option>
              <option value="resolved">resolved</option>
              <option value="">all</option>
            </select>
          </div>
        </div>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <Loaded query={alerts} what="alerts">
        {(list) =>
          list.length === 0 ? (
            <Empty>No {status || ''} alerts.</Empty>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <caption className="sr-only">Alerts, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Rule</th>
                    <th scope="col">Deployment</th>
                    <th scope="col">Evidence</th>
                    <th scope="col" className="num">Windows</th>
                    <th scope="col">Since</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <tr key={a.id}>
                      <td>
                        <Pill tone={a.rule === 'accuracy' || a.rule === 'rmse' ? 'bad' : 'warn'}>{a.rule}</Pill>
                      </td>
                      <td>
                        <Link to={`/deployments/${encodeURIComponent(a.deployment)}`}>{a.deployment}</Link>
                      </td>
                      <td className="small">{a.message}</td>
                      <td className="num">{a.windows}</td>
                      <td>{time(a.firstWindowEnd)}</td>
                      <td>
                        {a.status === 'open' ? (
                          <button type="button" disabled={!allowed} title={allowed ? undefined : `Your role (${me.role}) cannot acknowledge alerts`} onClick={() => void ack(a)}>
                            Acknowledge
                          </button>
                        ) : a.status === 'acked' ? (
                          `acknowledged by ${a.ackedBy ?? '?'}`
                        ) : (
                          `resolved ${time(a.resolvedAt)}`
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}

export function MonitoringPage() {
  const client = useClient();
  const [picked, setPicked] = useSearchParam('deployment');
  // The overview says which deployments have a monitor, so the page never asks for results that cannot exist.
  const deployments = useQuery({ queryKey: ['overview'], queryFn: () => client.dashboard.overview(), refetchInterval: 5_000, select: (o) => o.deployments });
  const deployment = picked ?? deployments.data?.find((d) => d.monitored)?.name ?? deployments.data?.[0]?.name ?? null;
  const monitored = deployments.data?.find((d) => d.name === deployment)?.monitored;
  const results = useQuery({
    queryKey: ['monitor-results', deployment, monitored],
    enabled: deployment !== null && monitored !== undefined,
    queryFn: () => (monitored ? client.monitors.results(deployment!) : null),
    refetchInterval: 5_000,
  });
  const [cell, setCell] = useState<Cell | null>(null);
  const windows = (results.data ?? []).slice(0, WINDOWS).reverse();
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Monitoring</h1>
          <p className="muted">Drift of each feature per monitor window, against the serving version's reference data.</p>
        </div>
        <div className="filters" style={{ margin: 0 }}>
          <div className="field">
            <label htmlFor="mon-deployment">Deployment</label>
            <select
              id="mon-deployment"
              value={deployment ?? ''}
              onChange={(e) => {
                setCell(null);
                setPicked(e.target.value);
              }}
            >
              {(deployments.data ?? []).map((d) => (
                <option key={d.name}>{d.name}</option>
              ))}
            </select>
          </div>
        </div>
      </div>
      {deployments.error && <ErrorNote error={deployments.error} what="deployments" />}
      {deployments.data?.length === 0 && <Empty>No deployments to monitor.</Empty>}
      {deployment && (
        <section className="card" aria-labelledby="heatmap-title">
          <h2 id="heatmap-title">Drift heat map</h2>
          <Loaded query={results} what="monitor results">
            {(r) =>
              r === null ? (
                <Empty>
                  {deployment} has no monitor: create one with <code>sextant monitor create {deployment}</code>.
                </Empty>
              ) : windows.length === 0 ? (
                <Empty>No window evaluated yet.</Empty>
              ) : (
                <>
                  <DriftHeatmap windows={windows} selected={cell} onSelect={setCell} />
                  <p className="muted small">Click a cell (or press Enter on it) for the feature's reference and current distributions.</p>
                </>
              )
            }
          </Loaded>
        </section>
      )}
      {deployment && cell && <DriftDetail deployment={deployment} cell={cell} />}
      <Alerts deployment={deployment} />
    </>
  );
}
