import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Deployment } from '../../../src/sdk/browser.js';
import { NEEDS } from '../api.js';
import { ConfirmAction } from '../components/confirm-action.js';
import { useAccess, useClient } from '../session.js';

/**
 * Canary, promote, abort and roll back, each behind a confirmation that says what will happen
 * and asks for a reason. Hidden from a role that may not use them is too quiet: they show,
 * disabled, with the reason.
 */
export function DeploymentActions({ d }: { d: Deployment }) {
  const client = useClient();
  const { can, role } = useAccess(d.model);
  const queries = useQueryClient();
  const id = useId();
  const allowed = can(NEEDS.deploy);
  const denied = allowed ? undefined : `Your role on ${d.model} (${role}) cannot change deployments; ${NEEDS.deploy} can.`;
  const versions = useQuery({ queryKey: ['versions-all', d.model], queryFn: () => client.versions.list(d.model, { pageSize: 100, status: 'active' }) });
  const primary = d.routes.filter((r) => r.role === 'primary');
  const primaryVersions = primary.map((r) => r.version);
  const candidates = (versions.data?.versions ?? []).filter((v) => !primaryVersions.includes(v.version));
  const [version, setVersion] = useState<number | ''>('');
  const [weight, setWeight] = useState(10);
  const chosen = version === '' ? candidates[0]?.version : version;
  // A protected alias answers a move with an approval request (HTTP 202): say so, nothing moved yet.
  const [requested, setRequested] = useState<string | null>(null);
  const noteRequest = async (result: object) => {
    if (!('approval' in result)) return setRequested(null);
    const a = (result as { approval: { id: string; model: string; alias: string; version: number; required: number } }).approval;
    setRequested(`approval ${a.id} requested: ${a.model}@${a.alias} moves to version ${a.version} after ${a.required} approval(s)`);
    await queries.invalidateQueries({ queryKey: ['approvals'] });
  };
  const refresh = async () => {
    await queries.invalidateQueries({ queryKey: ['deployment', d.name] });
    await queries.invalidateQueries({ queryKey: ['model', d.model] });
    await queries.invalidateQueries({ queryKey: ['timeline', d.model] });
  };
  const served = primary.map((r) => `version ${r.version}`).join(' and ') || 'nothing';
  const aliasVersion = d.alias ? primary[0]?.version : undefined;

  return (
    <div className="actions" aria-label="Deployment controls" role="group">
      <ConfirmAction
        label="Start canary"
        title={`Canary on ${d.name}`}
        disabled={!allowed || candidates.length === 0}
        disabledReason={denied ?? 'No other active version to send traffic to.'}
        ready={chosen !== undefined && weight > 0 && weight <= 100}
        description={
          <p>
            Version {chosen ?? '–'} of {d.model} will receive {weight} % of the requests to {d.name}; {served} keep{primary.length === 1 ? 's' : ''} {100 - weight} %.
            {d.canary ? ` It replaces the current canary (version ${d.canary.version} at ${d.canary.weight} %).` : ''}
            {d.slo ? ' The SLO guard sets the canary to 0 % if it breaches the SLO.' : ''}
          </p>
        }
        onConfirm={async (reason) => {
          await client.deployments.canary(d.name, { version: chosen!, weight, reason });
          await refresh();
        }}
      >
        <div className="row">
          <div>
            <label htmlFor={`${id}-version`}>Version</label>
            <select id={`${id}-version`} value={chosen ?? ''} onChange={(e) => setVersion(Number(e.target.value))}>
              {candidates.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                  {v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-weight`}>Share of traffic (%)</label>
            <input id={`${id}-weight`} type="number" min={1} max={100} step={1} value={weight} onChange={(e) => setWeight(Number(e.target.value))} />
          </div>
        </div>
      </ConfirmAction>
      <ConfirmAction
        label="Promote"
        title={`Promote the canary of ${d.name}`}
        disabled={!allowed || !d.canary}
        disabledReason={denied ?? 'There is no canary to promote.'}
        description={
          d.canary && (
            <p>
              Version {d.canary.version} will take all traffic of {d.name}.
              {d.alias ? ` The alias ${d.model}@${d.alias} moves from version ${aliasVersion ?? '–'} to ${d.canary.version}, so every deployment following it switches too.` : ` The pinned split becomes version ${d.canary.version} at 100 %.`}
            </p>
          )
        }
        onConfirm={async (reason) => {
          await noteRequest(await client.deployments.promote(d.name, reason));
          await refresh();
        }}
      />
      <ConfirmAction
        label="Abort canary"
        title={`Abort the canary of ${d.name}`}
        danger
        disabled={!allowed || !d.canary}
        disabledReason={denied ?? 'There is no canary to abort.'}
        description={d.canary && <p>Version {d.canary.version} stops receiving traffic; {served} take{primary.length === 1 ? 's' : ''} all of it again.</p>}
        onConfirm={async (reason) => {
          await client.deployments.abort(d.name, reason);
          await refresh();
        }}
      />
      <ConfirmAction
        label="Roll back"
        title={`Roll back ${d.model}@${d.alias ?? ''}`}
        danger
        disabled={!allowed || !d.alias}
        disabledReason={denied ?? 'This deployment pins versions; change its split instead of rolling an alias back.'}
        description={
          <p>
            The alias {d.model}@{d.alias} moves back to the version it held before its last move (it is now version {aliasVersion ?? '–'}). {d.name} and every other deployment following the alias serve that version.
          </p>
        }
        onConfirm={async (reason) => {
          await noteRequest(await client.aliases.rollback(d.model, d.alias!, reason));
          await refresh();
        }}
      />
      {requested && (
        <p role="status" className="notice">
          {requested}
        </p>
      )}
    </div>
  );
}
