import { useQuery } from '@tanstack/react-query';
import type { ModelVersion } from '../../../src/sdk/browser.js';
import { isNotFound, type SextantClient } from '../api.js';
import { Empty, ErrorNote, Loaded } from '../components/notes.js';
import { Pill } from '../components/status.js';
import { time } from '../format.js';
import { Link, useSearchParam } from '../router.js';
import { useClient, useSession } from '../session.js';
import { ModelTimeline } from './timeline.js';
import { VersionsTable } from './versions-table.js';

const MAX_ANCESTORS = 12;

/** A version and its parents, nearest first (each read once and cached). */
async function lineage(client: SextantClient, model: string, version: number): Promise<ModelVersion[]> {
  const chain: ModelVersion[] = [];
  let next: number | undefined = version;
  while (next !== undefined && chain.length < MAX_ANCESTORS) {
    const v: ModelVersion = await client.versions.get(model, next);
    chain.push(v);
    next = v.lineage.parentVersion;
  }
  return chain;
}

function Lineage({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const chain = useQuery({ queryKey: ['lineage', model, version], queryFn: () => lineage(client, model, version) });
  // Only retrained versions have a gate result; they carry the tag, so others are not asked for one.
  const gated = chain.data?.[0]?.tags['sextant.validation'] !== undefined;
  const gate = useQuery({ queryKey: ['validation', model, version], enabled: gated, queryFn: () => client.retraining.validation(model, version) });
  return (
    <section className="card" aria-labelledby="lineage-title">
      <h2 id="lineage-title">Lineage of version {version}</h2>
      <Loaded query={chain} what="the lineage">
        {(vs) => (
          <ol className="lineage" style={{ paddingLeft: '1.2rem', margin: 0 }}>
            {vs.map((v) => (
              <li key={v.version} style={{ marginBottom: '0.6rem' }}>
                <strong>v{v.version}</strong> <span className="muted">· {v.format} · by {v.author} · {time(v.createdAt)}</span>
                <dl className="facts small">
                  <dt>Data</dt>
                  <dd>{v.lineage.dataUri ?? '–'}</dd>
                  <dt>Data digest</dt>
                  <dd className="mono">{v.lineage.dataDigest ?? '–'}</dd>
                  <dt>Code</dt>
                  <dd className="mono">{v.lineage.codeRef ?? '–'}</dd>
                  <dt>Trained by</dt>
                  <dd>{v.lineage.jobId ? <Link to={`/jobs?job=${encodeURIComponent(v.lineage.jobId)}`}>job {v.lineage.jobId}</Link> : '–'}</dd>
                  <dt>Artifact</dt>
                  <dd className="mono">sha256 {v.digest.slice(0, 16)}…</dd>
                </dl>
              </li>
            ))}
          </ol>
        )}
      </Loaded>
      {gate.data && (
        <p>
          Validation gate: {gate.data.passed ? <Pill tone="good">passed</Pill> : <Pill tone="bad">failed</Pill>} against champion v{gate.data.champion ?? '–'} on {gate.data.holdoutRows} holdout rows
          {gate.data.jobId && (
            <>
              {' '}
              (<Link to={`/jobs?job=${encodeURIComponent(gate.data.jobId)}`}>see the comparison</Link>)
            </>
          )}
          .
        </p>
      )}
    </section>
  );
}

/** The model card, when the server has cards, rendered in a sandboxed frame. */
function Card({ model, version }: { model: string; version: number }) {
  const client = useClient();
  const { me } = useSession();
  const card = useQuery({
    queryKey: ['card', model, version],
    enabled: me.features.modelCards,
    queryFn: () => client.versions.cardText(model, version, 'html').catch((e) => (isNotFound(e) ? null : Promise.reject(e))),
  });
  return (
    <section className="card" aria-labelledby="card-title">
      <h2 id="card-title">Model card of version {version}</h2>
      {!me.features.modelCards ? (
        <Empty>This server does not publish model cards.</Empty>
      ) : card.error ? (
        <ErrorNote error={card.error} what="the model card" />
      ) : card.data === null ? (
        <Empty>No model card for this version.</Empty>
      ) : card.data ? (
        <iframe title={`Model card of ${model} version ${version}`} sandbox="" srcDoc={card.data} style={{ width: '100%', height: '28rem', border: '1px solid var(--border)', borderRadius: 6, background: '#fff' }} />
      ) : (
        <p className="muted">Loading…</p>
      )}
    </section>
  );
}

export function ModelPage({ name }: { name: string }) {
  const client = useClient();
  const model = useQuery({ queryKey: ['model', name], queryFn: () => client.models.get(name), refetchInterval: 10_000 });
  const [picked, setPicked] = useSearchParam('version');
  return (
    <Loaded query={model} what={`model ${name}`}>
      {(m) => {
        const selected = picked ? Number(picked) : (m.aliases.champion ?? m.latestVersion);
        return (
          <>
            <div className="page-head">
              <div>
                <p className="muted small">
                  <Link to="/">Overview</Link> / model
                </p>
                <h1>{m.name}</h1>
                <p className="muted">
                  {m.task} · owner {m.owner} · {m.latestVersion ?? 0} versions{m.description ? ` · ${m.description}` : ''}
                </p>
                <div className="pills" style={{ marginTop: '0.4rem' }}>
                  {Object.entries(m.aliases).map(([a, v]) => (
                    <Pill key={a} tone="info">
                      @{a} → v{v}
                    </Pill>
                  ))}
                  {Object.entries(m.tags).map(([k, v]) => (
                    <Pill key={k}>{v ? `${k}=${v}` : k}</Pill>
                  ))}
                </div>
              </div>
            </div>
            <ModelTimeline model={m.name} createdAt={m.createdAt} />
            <section className="card" aria-labelledby="versions-title">
              <h2 id="versions-title">Versions</h2>
              <VersionsTable model={m.name} total={m.latestVersion ?? 0} selected={selected} onSelect={(v) => setPicked(String(v))} />
            </section>
            {selected !== null && (
              <div className="grid two">
                <Lineage model={m.name} version={selected} />
                <Card model={m.name} version={selected} />
              </div>
            )}
          </>
        );
      }}
    </Loaded>
  );
}
