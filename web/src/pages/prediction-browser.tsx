import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Fragment, useId, useState } from 'react';
import type { LoggedPrediction } from '../../../src/sdk/browser.js';
import { ErrorNote, Empty } from '../components/notes.js';
import { Pill } from '../components/status.js';
import { fromLocalInput, ms, time } from '../format.js';
import { useClient } from '../session.js';

const PAGE = 50;

function output(p: LoggedPrediction): string {
  const first = p.outputs?.[0];
  if (!first) return '–';
  const values = first.data.slice(0, first.shape.length > 1 ? (first.shape[1] ?? 1) : 1);
  return `${first.name} ${JSON.stringify(values.map((v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v)))}${p.rows > 1 ? ` (+${p.rows - 1} rows)` : ''}`;
}

/** The prediction log, newest first, filtered by version, time and whether ground truth arrived. */
export function PredictionBrowser({ deployment, model }: { deployment: string; model: string }) {
  const client = useClient();
  // Any version may have answered in the past, not only those in today's split.
  const known = useQuery({ queryKey: ['version-numbers', model], queryFn: async () => (await client.versions.list(model, { pageSize: 200 })).versions.map((v) => v.version) });
  const versions = known.data ?? [];
  const id = useId();
  const [version, setVersion] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [labelled, setLabelled] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const log = useInfiniteQuery({
    queryKey: ['predictions', deployment, version, since, until, labelled],
    initialPageParam: fromLocalInput(until),
    queryFn: ({ pageParam }) =>
      client.deployments.predictions(deployment, {
        pageSize: PAGE,
        role: 'primary',
        version: version ? Number(version) : undefined,
        since: fromLocalInput(since),
        until: pageParam,
        withLabels: labelled ? 'true' : undefined,
      }),
    // The next page is what came before the oldest prediction shown.
    getNextPageParam: (last) => (last.length < PAGE ? undefined : last[last.length - 1]!.time),
  });
  const rows = log.data?.pages.flat() ?? [];
  return (
    <section className="card" aria-labelledby="log-title">
      <h2 id="log-title">Prediction log</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor={`${id}-v`}>Version</label>
          <select id={`${id}-v`} value={version} onChange={(e) => setVersion(e.target.value)}>
            <option value="">any</option>
            {versions.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-since`}>From</label>
          <input id={`${id}-since`} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-until`}>Before</label>
          <input id={`${id}-until`} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-l`}>
            <input id={`${id}-l`} type="checkbox" checked={labelled} onChange={(e) => setLabelled(e.target.checked)} /> Only with ground truth
          </label>
        </div>
      </div>
      {log.error && <ErrorNote error={log.error} what="the prediction log" />}
      {log.isPending ? (
        <p className="muted">Loading predictions…</p>
      ) : rows.length === 0 ? (
        <Empty>No predictions match.</Empty>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table>
            <caption className="sr-only">Logged predictions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Request</th>
                <th scope="col" className="num">Version</th>
                <th scope="col" className="num">Latency</th>
                <th scope="col">Output</th>
                <th scope="col">Label</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <Fragment key={p.requestId}>
                  <tr className={open === p.requestId ? 'selected' : undefined}>
                    <td>{time(p.time)}</td>
                    <td className="mono small">
                      <button type="button" className="link" aria-expanded={open === p.requestId} onClick={() => setOpen(open === p.requestId ? null : p.requestId)}>
                        {p.requestId}
                      </button>
                    </td>
                    <td className="num">{p.version ?? '–'}</td>
                    <td className="num">{ms(p.latencyMs)}</td>
                    <td className="mono small">{p.error ? <Pill tone="bad">{p.error.slice(0, 60)}</Pill> : output(p)}</td>
                    <td>{p.label === null ? <span className="muted">none yet</span> : JSON.stringify(p.label)}</td>
                  </tr>
                  {open === p.requestId && (
                    <tr>
                      <td colSpan={6}>
                        <pre className="block">{JSON.stringify({ inputs: p.inputs, outputs: p.outputs, error: p.error }, null, 2)}</pre>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="actions" style={{ marginTop: '0.75rem' }}>
        <button type="button" disabled={!log.hasNextPage || log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
          {log.isFetchingNextPage ? 'Loading…' : 'Older predictions'}
        </button>
        <span className="muted small">{rows.length} shown</span>
      </div>
    </section>
  );
}
