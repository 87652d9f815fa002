import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { Job, JobStatus } from '../../../src/sdk/browser.js';
import { isNotFound, NEEDS } from '../api.js';
import { ConfirmAction } from '../components/confirm-action.js';
import { Empty, Loaded } from '../components/notes.js';
import { Pill } from '../components/status.js';
import { ago, num, time } from '../format.js';
import { Link, useSearchParam } from '../router.js';
import { useClient, useSession } from '../session.js';

const TONE: Record<JobStatus, 'good' | 'bad' | 'warn' | 'info' | 'neutral'> = { queued: 'info', running: 'warn', succeeded: 'good', failed: 'bad', cancelled: 'neutral' };
const live = (j: Job) => j.status === 'queued' || j.status === 'running';

interface Tail {
  lines: { seq: number; time: string; line: string }[];
  next: number;
}

/** The job's log, followed while it runs: each poll asks only for lines after the last one seen. */
function LogTail({ job }: { job: Job }) {
  const client = useClient();
  const queries = useQueryClient();
  const box = useRef<HTMLPreElement>(null);
  const key = ['job-logs', job.id];
  const tail = useQuery({
    queryKey: key,
    queryFn: async (): Promise<Tail> => {
      const seen = queries.getQueryData<Tail>(key) ?? { lines: [], next: 0 };
      const page = await client.jobs.logs(job.id, seen.next);
      return { lines: [...seen.lines, ...page.lines].slice(-2000), next: page.next };
    },
    refetchInterval: live(job) ? 1_000 : false,
  });
  const lines = tail.data?.lines ?? [];
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  return (
    <>
      <h3>Log {live(job) && <span className="muted small">(following)</span>}</h3>
      <pre className="log" ref={box} tabIndex={0} aria-label={`Log of job ${job.id}`}>
        {lines.length === 0 ? 'no lines yet' : lines.map((l) => `${new Date(l.time).toLocaleTimeString()}  ${l.line}`).join('\n')}
      </pre>
    </>
  );
}

/** The validation gate: champion and challenger on the same holdout, metric by metric. */
function Gate({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const gate = useQuery({ queryKey: ['validation', model, version], queryFn: () => client.retraining.validation(model, version).catch((e) => (isNotFound(e) ? null : Promise.reject(e))) });
  return (
    <Loaded query={gate} what="the gate result">
      {(g) =>
        g === null ? (
          <Empty>No gate result for version {version}.</Empty>
        ) : (
          <>
            <h3>
              Gate: challenger v{g.version} vs champion v{g.champion ?? '–'} {g.passed ? <Pill tone="good">passed</Pill> : <Pill tone="bad">failed</Pill>}
            </h3>
            <div className="table-wrap" tabIndex={0}>
              <table>
                <caption className="sr-only">Gate checks on {g.holdoutRows} holdout rows</caption>
                <thead>
                  <tr>
                    <th scope="col">Metric</th>
                    <th scope="col" className="num">Champion</th>
                    <th scope="col" className="num">Challenger</th>
                    <th scope="col">Result</th>
                  </tr>
                </thead>
                <tbody>
                  {g.checks.map((c) => (
                    <tr key={c.metric}>
                      <td>
                        {c.metric} <span className="muted small">({c.greaterIsBetter ? 'higher' : 'lower'} is better)</span>
                      </td>
                      <td className="num">{num(c.champion, 4)}</td>
                      <td className="num">{num(c.challenger, 4)}</td>
                      <td>
                        {c.passed ? <Pill tone="good">pass</Pill> : <Pill tone="bad">fail</Pill>} <span className="small">{c.reason}</span>
                      </td>
                    </tr>
                  ))}
                  {g.dataChecks.map((c) => (
                    <tr key={c.check}>
                      <td>{c.check}</td>
                      <td className="num">–</td>
                      <td className="num">–</td>
                      <td>
                        {c.passed ? <Pill tone="good">pass</Pill> : <Pill tone="bad">fail</Pill>} <span className="small">{c.reason}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p className="muted small">On {g.holdoutRows} holdout rows, both models scored by the serving runtimes.</p>
          </>
        )
      }
    </Loaded>
  );
}

function JobDetail({ id }: { id: string }) {
  const client = useClient();
  const { can, me } = useSession();
  const queries = useQueryClient();
  const job = useQuery({ queryKey: ['job', id], queryFn: () => client.jobs.get(id), refetchInterval: (q) => (q.state.data && !live(q.state.data) ? false : 1_000) });
  return (
    <section className="card" aria-labelledby="job-title">
      <Loaded query={job} what={`job ${id}`}>
        {(j) => {
          const version = typeof j.result?.version === 'number' ? j.result.version : null;
          return (
            <>
              <div className="card-head">
                <h2 id="job-title">
                  Job <span className="mono">{j.id}</span> <Pill tone={TONE[j.status]}>{j.status}</Pill>
                </h2>
                {live(j) && (
                  <ConfirmAction
                    label="Cancel job"
                    title="Cancel this job"
                    danger
                    disabled={!can(NEEDS.write)}
                    disabledReason={`Your role (${me.role}) cannot cancel jobs`}
                    description={<p>{j.status === 'queued' ? 'The job is removed from the queue.' : 'The running job stops at its next heartbeat; nothing it produced is registered.'}</p>}
                    onConfirm={async () => {
                      await client.jobs.cancel(j.id);
                      await queries.invalidateQueries({ queryKey: ['job', id] });
                    }}
                  />
                )}
              </div>
              <dl className="facts">
                <dt>Model</dt>
                <dd>{j.model ? <Link to={`/models/${encodeURIComponent(j.model)}`}>{j.model}</Link> : '–'}</dd>
                <dt>Trigger</dt>
                <dd>
                  {j.trigger.type}
                  {j.trigger.detail ? `: ${j.trigger.detail}` : ''}
                </dd>
                <dt>Started by</dt>
                <dd>{j.createdBy}</dd>
                <dt>Queued</dt>
                <dd>{time(j.createdAt)}</dd>
                <dt>Ran</dt>
                <dd>{j.startedAt ? `${time(j.startedAt)} → ${j.finishedAt ? time(j.finishedAt) : 'running'}` : 'not yet'}</dd>
                <dt>Attempts</dt>
                <dd>
                  {j.attempts} of {j.maxAttempts}
                </dd>
                {j.error && (
                  <>
                    <dt>Error</dt>
                    <dd className="error">{j.error}</dd>
                  </>
                )}
                {version !== null && j.model && (
                  <>
                    <dt>Produced</dt>
                    <dd>
                      <Link to={`/models/${encodeURIComponent(j.model)}?version=${version}`}>version {version}</Link>
                    </dd>
                  </>
                )}
              </dl>
              {version !== null && j.model && <Gate model={j.model} version={version} />}
              <LogTail job={j} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function Retrain() {
  const client = useClient();
  const { can, me } = useSession();
  const queries = useQueryClient();
  const [, setJob] = useSearchParam('job');
  const [model, setModel] = useState('');
  return (
    <ConfirmAction
      label="Retrain a model"
      title="Retrain now"
      disabled={!can(NEEDS.deploy)}
      disabledReason={`Your role (${me.role}) cannot start retrains; ${NEEDS.deploy} can`}
      ready={model.trim() !== ''}
      description={<p>A retraining job is queued for {model || 'the model'} with its policy's trainer, data and gate; a challenger that passes the gate is promoted as the policy says.</p>}
      onConfirm={async (reason) => {
        const job = await client.retraining.retrain(model.trim(), { reason });
        await queries.invalidateQueries({ queryKey: ['jobs'] });
        setJob(job.id);
      }}
    >
      <label htmlFor="retrain-model">Model</label>
      <input id="retrain-model" value={model} onChange={(e) => setModel(e.target.value)} placeholder="breast-cancer" required />
    </ConfirmAction>
  );
}

export function JobsPage() {
  const client = useClient();
  const [selected, setSelected] = useSearchParam('job');
  const [status, setStatus] = useState<JobStatus | ''>('');
  const jobs = useQuery({ queryKey: ['jobs', status], queryFn: () => client.jobs.list({ status: status || undefined, pageSize: 100 }), refetchInterval: 3_000 });
  const current = selected ?? jobs.data?.[0]?.id ?? null;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Jobs</h1>
          <p className="muted">Retraining jobs: what triggered them, their log, and the gate's comparison.</p>
        </div>
        <Retrain />
      </div>
      <div className="grid two">
        <section className="card" aria-labelledby="jobs-title">
          <div className="card-head">
            <h2 id="jobs-title">Recent jobs</h2>
            <div className="filters" style={{ margin: 0 }}>
              <div className="field">
                <label htmlFor="job-status">Status</label>
                <select id="job-status" value={status} onChange={(e) => setStatus(e.target.value as JobStatus | '')}>
                  <option value="">any</option>
                  {(['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const).map((s) => (
                    <option key={s}>{s}</option>
                  ))}
                </select>
              </div>
            </div>
          </div>
          <Loaded query={jobs} what="jobs">
            {(list) =>
              list.length === 0 ? (
                <Empty>No jobs yet.</Empty>
              ) : (
                <div className="table-wrap" tabIndex={0}>
                  <table>
                    <caption className="sr-only">Jobs, newest first</caption>
                    <thead>
                      <tr>
                        <th scope="col">Job</th>
                        <th scope="col">Model</th>
                        <th scope="col">Trigger</th>
                        <th scope="col">Status</th>
                        <th scope="col">Queued</th>
                      </tr>
                    </thead>
                    <tbody>
                      {list.map((j) => (
                        <tr key={j.id} className={j.id === current ? 'selected' : undefined}>
                          <td className="mono small">
                            <button type="button" className="link" aria-pressed={j.id === current} onClick={() => setSelected(j.id)}>
                              {j.id.slice(-10)}
                            </button>
                          </td>
                          <td>{j.model ?? '–'}</td>
                          <td>{j.trigger.type}</td>
                          <td>
                            <Pill tone={TONE[j.status]}>{j.status}</Pill>
                          </td>
                          <td title={j.createdAt}>{ago(j.createdAt)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )
            }
          </Loaded>
        </section>
        {current ? <JobDetail id={current} /> : <section className="card"><Empty>Select a job.</Empty></section>}
      </div>
    </>
  );
}
