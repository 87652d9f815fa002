import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Fragment, useState } from 'react';
import type { Approval, ListAuditQuery } from '../../../src/sdk/browser.js';
import { NEEDS } from '../api.js';
import { ConfirmAction } from '../components/confirm-action.js';
import { Empty, ErrorNote, Loaded } from '../components/notes.js';
import { Pill } from '../components/status.js';
import { fromLocalInput, time } from '../format.js';
import { useAccess, useClient, useSession } from '../session.js';

function Decide({ a }: { a: Approval }) {
  const client = useClient();
  const { can, role } = useAccess(a.model);
  const queries = useQueryClient();
  const allowed = can(NEEDS.approve);
  const denied = `Your role on ${a.model} (${role}) cannot decide approvals; ${NEEDS.approve} can.`;
  const what = `${a.model}@${a.alias} → version ${a.version}`;
  const done = () => queries.invalidateQueries({ queryKey: ['approvals'] });
  return (
    <div className="actions">
      <ConfirmAction
        label="Approve"
        title={`Approve ${what}`}
        disabled={!allowed}
        disabledReason={denied}
        description={<p>Your approval is recorded; when it is the last one needed, {what} happens at once, exactly as a direct move would. You may not approve your own request or a version you authored.</p>}
        onConfirm={async (reason) => {
          await client.approvals.approve(a.id, reason);
          await done();
        }}
      />
      <ConfirmAction
        label="Reject"
        title={`Reject ${what}`}
        danger
        disabled={!allowed}
        disabledReason={denied}
        description={<p>The request is closed as rejected; nothing moves.</p>}
        onConfirm={async (reason) => {
          await client.approvals.reject(a.id, reason);
          await done();
        }}
      />
    </div>
  );
}

function Approvals() {
  const client = useClient();
  const { me } = useSession();
  const approvals = useQuery({
    queryKey: ['approvals', 'pending'],
    queryFn: () => (me.features.approvals ? client.approvals.list({ status: 'pending' }) : null),
    refetchInterval: 5_000,
  });
  return (
    <section className="card" aria-labelledby="approvals-title">
      <h2 id="approvals-title">Pending approvals</h2>
      <Loaded query={approvals} what="approvals">
        {(list) =>
          list === null ? (
            <Empty>This server has no approvals: moves of aliases happen directly.</Empty>
          ) : list.length === 0 ? (
            <Empty>Nothing waits for a decision.</Empty>
          ) : (
            <div className="table-wrap" tabIndex={0}>
              <table>
                <caption className="sr-only">Approval requests waiting for a decision</caption>
                <thead>
                  <tr>
                    <th scope="col">Request</th>
                    <th scope="col">Requested by</th>
                    <th scope="col">When</th>
                    <th scope="col">Approvals</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Decision</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <tr key={a.id}>
                      <td>
                        {a.model}@{a.alias} → v{a.version}
                      </td>
                      <td>{a.requestedBy}</td>
                      <td>{time(a.requestedAt)}</td>
                      <td>
                        {a.approvals.length} of {a.required}
                        <div className="muted small">expires {time(a.expiresAt)}</div>
                      </td>
                      <td className="small">{a.reason ?? '–'}</td>
                      <td>
                        <Decide a={a} />
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

type Filters = Pick<ListAuditQuery, 'target' | 'actor' | 'action' | 'since' | 'until'>;

function AuditFilters({ onApply }: { onApply(f: Filters): void }) {
  const [form, setForm] = useState({ target: '', actor: '', action: '', since: '', until: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ target: form.target || undefined, actor: form.actor || undefined, action: form.action || undefined, since: fromLocalInput(form.since), until: fromLocalInput(form.until) });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Audit filters">
      <div className="field">
        <label htmlFor="a-target">Target (prefix*)</label>
        <input id="a-target" value={form.target} onChange={set('target')} placeholder="model:fraud*" />
      </div>
      <div className="field">
        <label htmlFor="a-actor">Actor</label>
        <input id="a-actor" value={form.actor} onChange={set('actor')} placeholder="token:ci" />
      </div>
      <div className="field">
        <label htmlFor="a-action">Action</label>
        <input id="a-action" value={form.action} onChange={set('action')} placeholder="alias.set" />
      </div>
      <div className="field">
        <label htmlFor="a-since">From</label>
        <input id="a-since" type="datetime-local" value={form.since} onChange={set('since')} />
      </div>
      <div className="field">
        <label htmlFor="a-until">Before</label>
        <input id="a-until" type="datetime-local" value={form.until} onChange={set('until')} />
      </div>
      <button type="submit" className="primary">
        Apply
      </button>
    </form>
  );
}

function Verify() {
  const client = useClient();
  const verify = useMutation({ mutationFn: () => client.audit.verify() });
  return (
    <div className="actions" aria-live="polite">
      <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
        {verify.isPending ? 'Verifying…' : 'Verify chain'}
      </button>
      {verify.error && <ErrorNote error={verify.error} />}
      {verify.data &&
        (verify.data.ok ? (
          <span className="ok-note" role="status">
            Chain intact: {verify.data.checked} events checked, head #{verify.data.headSeq}.
          </span>
        ) : (
          <span className="error" role="alert">
            Chain broken at event #{verify.data.firstBroken?.seq}: {verify.data.firstBroken?.reason} ({verify.data.checked} checked).
          </span>
        ))}
    </div>
  );
}

function AuditLog() {
  const client = useClient();
  const [filters, setFilters] = useState<Filters>({});
  const [open, setOpen] = useState<number | null>(null);
  const pages = useInfiniteQuery({
    queryKey: ['audit', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => client.audit.list({ ...filters, order: 'desc', pageSize: 100, pageToken: pageParam }),
    getNextPageParam: (last) => last.nextPageToken ?? undefined,
  });
  const events = pages.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <section className="card" aria-labelledby="audit-title">
      <div className="card-head">
        <h2 id="audit-title">Audit log</h2>
        <Verify />
      </div>
      <AuditFilters onApply={setFilters} />
      {pages.error && <ErrorNote error={pages.error} what="the audit log" />}
      {events.length === 0 && !pages.isPending ? (
        <Empty>No events match.</Empty>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table>
            <caption className="sr-only">Audit events</caption>
            <thead>
              <tr>
                <th scope="col" className="num">#</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <Fragment key={e.seq}>
                  <tr className={open === e.seq ? 'selected' : undefined}>
                    <td className="num">
                      <button type="button" className="link" aria-expanded={open === e.seq} aria-label={`Event ${e.seq}: show before and after`} onClick={() => setOpen(open === e.seq ? null : e.seq)}>
                        {e.seq}
                      </button>
                    </td>
                    <td>{time(e.time)}</td>
                    <td>{e.actor}</td>
                    <td>
                      <Pill>{e.action}</Pill>
                    </td>
                    <td className="mono small">{e.target}</td>
                    <td className="small">{e.reason ?? ''}</td>
                  </tr>
                  {open === e.seq && (
                    <tr>
                      <td colSpan={6}>
                        <pre className="block">{JSON.stringify({ before: e.before, after: e.after, requestId: e.requestId, hash: e.hash, prevHash: e.prevHash }, null, 2)}</pre>
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
        <button type="button" disabled={!pages.hasNextPage || pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
          {pages.isFetchingNextPage ? 'Loading…' : pages.hasNextPage ? 'Older events' : 'All events loaded'}
        </button>
        <span className="muted small">{events.length} events, newest first</span>
      </div>
    </section>
  );
}

export function GovernancePage() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Approvals &amp; audit</h1>
          <p className="muted">Requests waiting for a second pair of eyes, and the hash-chained record of every change.</p>
        </div>
      </div>
      <Approvals />
      <AuditLog />
    </>
  );
}
