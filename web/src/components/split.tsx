import type { Deployment } from '../../../src/sdk/browser.js';

type Routes = Deployment['routes'];

/** The colour of a version, the same on every chart and band. */
export const versionColor = (version: number | null) => (version === null ? 'var(--idle)' : `var(--v${(version - 1) % 6})`);

const share = (w: number) => `${Number(w.toFixed(1))} %`;

/** A split in words: "v2 90 % · v3 10 % (canary)". */
export function SplitText({ routes }: { routes: Routes }) {
  if (routes.length === 0) return <span className="muted">nothing</span>;
  return (
    <span className="pills">
      {routes.map((r) => (
        <span key={`${r.role}-${r.version}`} className="pill" style={{ borderColor: versionColor(r.version) }}>
          v{r.version} {share(r.weight)}
          {r.role === 'canary' ? ' canary' : ''}
        </span>
      ))}
    </span>
  );
}

/** A split as a bar, one segment per version, labelled. */
export function SplitBar({ routes, label }: { routes: Routes; label: string }) {
  const visible = routes.filter((r) => r.weight > 0);
  return (
    <div>
      <div className="split" role="img" aria-label={`${label}: ${routes.map((r) => `version ${r.version} ${share(r.weight)}${r.role === 'canary' ? ' (canary)' : ''}`).join(', ') || 'nothing'}`}>
        {visible.map((r) => (
          <div key={`${r.role}-${r.version}`} style={{ width: `${r.weight}%`, background: versionColor(r.version) }}>
            {r.weight >= 8 ? `v${r.version} ${share(r.weight)}` : ''}
          </div>
        ))}
      </div>
      <div className="legend-row" aria-hidden="true">
        {routes.map((r) => (
          <span key={`${r.role}-${r.version}`}>
            <span className="swatch" style={{ background: versionColor(r.version) }} />
            version {r.version} · {share(r.weight)} · {r.role}
          </span>
        ))}
      </div>
    </div>
  );
}
