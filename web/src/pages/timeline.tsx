import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Timeline, TimelineMark } from '../../../src/sdk/browser.js';
import { Empty, Loaded } from '../components/notes.js';
import { versionColor } from '../components/split.js';
import { time } from '../format.js';
import { useClient } from '../session.js';

const RANGES = [
  { label: 'All', ms: 0 },
  { label: '1 h', ms: 3_600_000 },
  { label: '24 h', ms: 86_400_000 },
  { label: '7 d', ms: 7 * 86_400_000 },
  { label: '30 d', ms: 30 * 86_400_000 },
];
const MAX_MS = 90 * 86_400_000;

const MARK_COLORS: Record<TimelineMark['kind'], string> = {
  version: 'var(--chart-6)',
  alias: 'var(--chart-1)',
  deployment: 'var(--idle)',
  canary: 'var(--chart-4)',
  promote: 'var(--good)',
  abort: 'var(--warn)',
  'slo-rollback': 'var(--bad)',
  rollback: 'var(--bad)',
  alert: 'var(--bad)',
  retrain: 'var(--chart-2)',
  gate: 'var(--chart-3)',
  approval: 'var(--chart-5)',
  policy: 'var(--idle)',
  other: 'var(--idle)',
};

/** Where a time falls on the axis, in percent. */
const position = (t: Timeline, iso: string) => {
  const from = Date.parse(t.since);
  const span = Date.parse(t.until) - from;
  return Math.max(0, Math.min(100, ((Date.parse(iso) - from) / span) * 100));
};

function Ticks({ t }: { t: Timeline }) {
  const from = Date.parse(t.since);
  const span = Date.parse(t.until) - from;
  const fmt = new Intl.DateTimeFormat(undefined, span > 3 * 86_400_000 ? { month: 'short', day: 'numeric' } : span > 600_000 ? { hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return (
    <div className="axis" aria-hidden="true">
      <div />
      <div className="ticks">
        {[0.1, 0.3, 0.5, 0.7, 0.9].map((f) => (
          <span key={f} style={{ left: `${f * 100}%` }}>
            {fmt.format(new Date(from + f * span))}
          </span>
        ))}
      </div>
    </div>
  );
}

function Tip({ mark, t }: { mark: TimelineMark; t: Timeline }) {
  const left = position(t, mark.time);
  return (
    <div className="tip" role="tooltip" id="timeline-tip" style={left > 60 ? { right: `${100 - left}%`, top: '2rem' } : { left: `${left}%`, top: '2rem' }}>
      <strong>{mark.title}</strong>
      <div>{time(mark.time)}</div>
      <div>
        by <b>{mark.actor}</b>
      </div>
      {mark.reason && <div>why: {mark.reason}</div>}
      <div className="muted small">
        {mark.target}
        {mark.seq !== null ? ` · audit #${mark.seq}` : ''}
      </div>
    </div>
  );
}

/** Lanes of bands (which version served, at which share) and a row of marks on one time axis. */
function Lanes({ t }: { t: Timeline }) {
  const [active, setActive] = useState<number | null>(null);
  const lanes = t.lanes.filter((l) => l.bands.length > 0);
  const kinds = [...new Set(t.marks.map((m) => m.kind))];
  return (
    <div className="timeline" style={{ ['--label-w' as string]: '10rem' }} onMouseLeave={() => setActive(null)}>
      <Ticks t={t} />
      {lanes.map((lane) => (
        <div className="lane" key={`${lane.kind}-${lane.name}`}>
          <div className="lane-label" title={`${lane.kind} ${lane.name}`}>
            {lane.name} <small>{lane.kind === 'alias' ? 'alias' : 'deployment'}</small>
          </div>
          <ul className="track" aria-label={`${lane.kind} ${lane.name}: which version served when`} style={{ listStyle: 'none', margin: 0, padding: 0 }}>
            {lane.bands.map((b, i) => {
              const left = position(t, b.from);
              const right = b.to === null ? 100 : position(t, b.to);
              // Primary bands fill from the top, canary bands from the bottom, each by its share.
              const height = Math.max(18, b.weight) * 0.28;
              const describe = `version ${b.version ?? 'none'}${lane.kind === 'deployment' ? ` at ${Number(b.weight.toFixed(1))} % (${b.role})` : ''} from ${time(b.from)} to ${b.to ? time(b.to) : 'now'}`;
              return (
                <li
                  key={i}
                  className="band"
                  title={describe}
                  aria-label={describe}
                  style={{
                    left: `${left}%`,
                    width: `max(3px, ${right - left}%)`,
                    background: versionColor(b.version),
                    ...(b.role === 'canary' ? { bottom: 2, height: `${height}px` } : { top: 2, height: lane.kind === 'alias' ? 'calc(100% - 4px)' : `${height}px` }),
                  }}
                >
                  {right - left > 6 ? `v${b.version ?? '–'}${lane.kind === 'deployment' && b.weight < 100 ? ` ${Math.round(b.weight)}%` : ''}` : ''}
                </li>
              );
            })}
          </ul>
        </div>
      ))}
      <div className="lane">
        <div className="lane-label">
          changes <small>{t.marks.length}</small>
        </div>
        <div className="marks">
          {t.marks.map((m, i) => (
            <button
              key={`${m.time}-${i}`}
              type="button"
              className="mark"
              style={{ left: `${position(t, m.time)}%`, background: MARK_COLORS[m.kind] }}
              aria-label={`${m.title}, ${time(m.time)}, by ${m.actor}${m.reason ? `: ${m.reason}` : ''}`}
              aria-describedby={active === i ? 'timeline-tip' : undefined}
              onMouseEnter={() => setActive(i)}
              onFocus={() => setActive(i)}
              onBlur={() => setActive(null)}
              onKeyDown={(e) => e.key === 'Escape' && setActive(null)}
            />
          ))}
          {active !== null && t.marks[active] && <Tip mark={t.marks[active]} t={t} />}
        </div>
      </div>
      <div className="legend-row">
        {kinds.map((k) => (
          <span key={k}>
            <span className="swatch" style={{ background: MARK_COLORS[k], transform: 'rotate(45deg)' }} />
            {k}
          </span>
        ))}
      </div>
    </div>
  );
}

/** "What served when": the model's aliases and deployments on one time axis, with who changed what and why. */
export function ModelTimeline({ model, createdAt }: { model: string; createdAt: string }) {
  const client = useClient();
  const [range, setRange] = useState(RANGES[0]!);
  const timeline = useQuery({
    queryKey: ['timeline', model, range.ms],
    queryFn: () => {
      // "All": from a little before the model was created (at most 90 days back) to now.
      const now = Date.now();
      const since = range.ms > 0 ? now - range.ms : Math.max(now - MAX_MS, Date.parse(createdAt) - Math.max(5_000, (now - Date.parse(createdAt)) * 0.03));
      const until = now + Math.max(2_000, (now - since) * 0.02);
      return client.dashboard.timeline(model, { since: new Date(since).toISOString(), until: new Date(until).toISOString() });
    },
    refetchInterval: 10_000,
  });
  return (
    <section className="card" aria-labelledby="timeline-title">
      <div className="card-head">
        <h2 id="timeline-title">What served when</h2>
        <div className="range" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.label} type="button" aria-pressed={r === range} onClick={() => setRange(r)}>
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <Loaded query={timeline} what="the timeline">
        {(t) =>
          t.lanes.every((l) => l.bands.length === 0) && t.marks.length === 0 ? (
            <Empty>Nothing happened to this model in this range.</Empty>
          ) : (
            <>
              <Lanes t={t} />
              {t.truncated && <p className="muted small">More events happened than were read; narrow the range to see them all.</p>}
              <p className="muted small">Hover or focus a mark (Tab) to see who did it and why.</p>
            </>
          )
        }
      </Loaded>
    </section>
  );
}
