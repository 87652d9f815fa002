import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { TrafficSeries } from '../../../src/sdk/browser.js';
import { TimeChart, type Line } from '../components/chart.js';
import { Loaded } from '../components/notes.js';
import { ms, rate } from '../format.js';
import { useClient } from '../session.js';

const RANGES = [
  { label: '15 min', seconds: 900, step: 10 },
  { label: '1 h', seconds: 3600, step: 10 },
  { label: '6 h', seconds: 6 * 3600, step: 60 },
  { label: '24 h', seconds: 86_400, step: 300 },
  { label: '7 d', seconds: 7 * 86_400, step: 1800 },
];

function charts(s: TrafficSeries) {
  const x = s.points.map((p) => Date.parse(p.time) / 1000);
  const perSecond = (n: number) => n / s.stepSeconds;
  const versions = [...new Set(s.points.flatMap((p) => Object.keys(p.versions)))].sort((a, b) => Number(a) - Number(b));
  const requests: Line[] = [
    { label: 'all', values: s.points.map((p) => perSecond(p.requests)), color: '--fg-muted', dash: [4, 3] },
    ...versions.map((v) => ({ label: `v${v}`, values: s.points.map((p) => perSecond(p.versions[v] ?? 0)), color: `--v${(Number(v) - 1) % 6}` })),
  ];
  const latency: Line[] = [
    { label: 'p50', values: s.points.map((p) => p.p50Ms), color: '--chart-1' },
    { label: 'p99', values: s.points.map((p) => p.p99Ms), color: '--chart-2' },
  ];
  const errors: Line[] = [
    { label: 'server errors', values: s.points.map((p) => perSecond(p.errors)), color: '--chart-5' },
    { label: 'refused inputs', values: s.points.map((p) => perSecond(p.invalid)), color: '--chart-4' },
    { label: 'shed (429)', values: s.points.map((p) => perSecond(p.shed)), color: '--chart-2' },
  ];
  return { x, requests, latency, errors };
}

/** Requests per second by version, latency quantiles and failures over time, every serving process summed. */
export function TrafficCharts({ deployment }: { deployment: string }) {
  const client = useClient();
  const [range, setRange] = useState(RANGES[1]!);
  const traffic = useQuery({
    queryKey: ['traffic', deployment, range.seconds],
    queryFn: () => client.dashboard.traffic(deployment, { since: new Date(Date.now() - range.seconds * 1000).toISOString(), step: range.step }),
    refetchInterval: range.seconds <= 3600 ? 5_000 : 30_000,
    placeholderData: keepPreviousData,
  });
  return (
    <section className="card" aria-labelledby="traffic-title">
      <div className="card-head">
        <h2 id="traffic-title">Traffic</h2>
        <div className="range" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.label} type="button" aria-pressed={r === range} onClick={() => setRange(r)}>
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <Loaded query={traffic} what="traffic">
        {(s) => {
          const c = charts(s);
          return (
            <>
              <div className="grid three">
                <TimeChart title="Requests per second" x={c.x} lines={c.requests} format={rate} unit="req/s" />
                <TimeChart title="Latency" x={c.x} lines={c.latency} format={ms} unit="ms" />
                <TimeChart title="Failures per second" x={c.x} lines={c.errors} format={rate} unit="per s" />
              </div>
              <p className="muted small">
                {s.stepSeconds}-second steps, summed over every serving process; the newest step appears once it ends. Refused inputs are 4xx answers (bad requests); shed requests are 429s under overload.
              </p>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
