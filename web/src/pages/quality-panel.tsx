import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { QualityReport } from '../../../src/sdk/browser.js';
import { TimeChart } from '../components/chart.js';
import { Empty, Loaded } from '../components/notes.js';
import { num, time } from '../format.js';
import { useClient } from '../session.js';

const WINDOWS = 12;
/** Without a monitor: this many fixed windows of this length, newest last. */
const FALLBACK_WINDOW_MS = 10 * 60_000;

interface Window {
  start: string;
  end: string;
  report: QualityReport;
}

/** A 95 % normal-approximation band of a proportion measured on `n` rows. */
function band(p: number | null | undefined, n: number): [number | null, number | null] {
  if (p === null || p === undefined || n === 0) return [null, null];
  const half = 1.96 * Math.sqrt((p * (1 - p)) / n);
  return [Math.min(1, p + half), Math.max(0, p - half)];
}

/**
 * Quality per window: measured from the labels that arrived, estimated from the scores of every
 * row (binary classifiers, CBPE), each with a 95 % band for accuracy.
 */
export function QualityPanel({ deployment, monitored }: { deployment: string; monitored: boolean }) {
  const client = useClient();
  const [metric, setMetric] = useState('accuracy');
  const windows = useQuery({
    queryKey: ['quality-windows', deployment, monitored],
    refetchInterval: 15_000,
    queryFn: async (): Promise<{ monitored: boolean; windows: Window[] }> => {
      const results = monitored ? await client.monitors.results(deployment) : null;
      const spans = results
        ? results.slice(0, WINDOWS).reverse().map((r) => ({ start: r.windowStart, end: r.windowEnd }))
        : Array.from({ length: 6 }, (_, i) => {
            const end = Date.now() - (5 - i) * FALLBACK_WINDOW_MS;
            return { start: new Date(end - FALLBACK_WINDOW_MS).toISOString(), end: new Date(end).toISOString() };
          });
      const reports = await Promise.all(spans.map((s) => client.deployments.quality(deployment, { since: s.start, until: s.end })));
      return { monitored: results !== null, windows: spans.map((s, i) => ({ ...s, report: reports[i]! })) };
    },
  });
  return (
    <section className="card" aria-labelledby="quality-title">
      <div className="card-head">
        <h2 id="quality-title">Quality per window</h2>
        <div className="filters" style={{ margin: 0 }}>
          <div className="field">
            <label htmlFor="q-metric">Metric</label>
            <select id="q-metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
              {[...new Set(windows.data?.windows.flatMap((w) => [...Object.keys(w.report.metrics ?? {}), ...Object.keys(w.report.estimated ?? {})]) ?? ['accuracy'])].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </div>
        </div>
      </div>
      <Loaded query={windows} what="quality">
        {({ monitored, windows: ws }) => {
          if (ws.every((w) => w.report.rows === 0 && w.report.scoredRows === 0)) return <Empty>No predictions logged in these windows.</Empty>;
          const x = ws.map((w) => Date.parse(w.end) / 1000);
          const measured = ws.map((w) => w.report.metrics?.[metric] ?? null);
          const estimated = ws.map((w) => w.report.estimated?.[metric] ?? null);
          const proportion = metric === 'accuracy';
          const mb = ws.map((w, i) => band(proportion ? measured[i] : null, w.report.rows));
          const eb = ws.map((w, i) => band(proportion ? estimated[i] : null, w.report.scoredRows));
          return (
            <>
              <TimeChart
                title={`${metric} per window: measured and estimated`}
                x={x}
                height={200}
                format={(v) => num(v, 3)}
                lines={[
                  { label: 'measured', values: measured, color: '--chart-1', points: true },
                  { label: 'estimated', values: estimated, color: '--chart-2', points: true, dash: [5, 4] },
                  { label: 'measured 95 % high', values: mb.map((b) => b[0]), color: '--chart-1', band: true },
                  { label: 'measured 95 % low', values: mb.map((b) => b[1]), color: '--chart-1', band: true },
                  { label: 'estimated 95 % high', values: eb.map((b) => b[0]), color: '--chart-2', band: true },
                  { label: 'estimated 95 % low', values: eb.map((b) => b[1]), color: '--chart-2', band: true },
                ]}
                bands={[
                  [2, 3],
                  [4, 5],
                ]}
              />
              <div className="table-wrap short" tabIndex={0}>
                <table>
                  <caption className="sr-only">Quality per window</caption>
                  <thead>
                    <tr>
                      <th scope="col">Window ending</th>
                      <th scope="col" className="num">Rows scored</th>
                      <th scope="col" className="num">Labelled rows</th>
                      <th scope="col" className="num">Measured {metric}</th>
                      <th scope="col" className="num">Estimated {metric}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ws
                      .slice()
                      .reverse()
                      .map((w, i) => (
                        <tr key={w.end}>
                          <td>{time(w.end)}</td>
                          <td className="num">{w.report.scoredRows}</td>
                          <td className="num">{w.report.rows}</td>
                          <td className="num">{num(measured[ws.length - 1 - i], 4)}</td>
                          <td className="num">{num(estimated[ws.length - 1 - i], 4)}</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </div>
              <p className="muted small">
                {monitored ? 'The monitor\'s windows.' : 'No monitor: fixed 10-minute windows.'} Estimates (binary classifiers) come from the calibrated scores of every logged row, so they show decay before labels arrive. Bands are 95 % for accuracy: ±1.96·√(p(1−p)/n) over the rows each figure was computed on.
              </p>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
