import type { MultivariateDrift } from './multivariate-drift.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (x: number) => x.toPrecision(4);

/** Reconstruction error per chunk (reference, then current) against the band, as inline SVG. */
function chunkChart(r: NonNullable<MultivariateDrift['reconstruction']>): string {
  const w = 640;
  const h = 180;
  const points = [...r.reference.chunks.map((c) => ({ ...c, side: 'reference', alert: false })), ...r.current.chunks.map((c) => ({ ...c, side: 'current' }))];
  const values = [...points.map((p) => p.error), r.reference.lower, r.reference.upper];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const y = (v: number) => h - 20 - ((v - lo) / (hi - lo || 1)) * (h - 40);
  const x = (i: number) => 30 + (i * (w - 40)) / Math.max(1, points.length - 1);
  const band = `<rect x="30" y="${y(r.reference.upper).toFixed(1)}" width="${w - 40}" height="${Math.max(0, y(r.reference.lower) - y(r.reference.upper)).toFixed(1)}" fill="#e8eef7"/>`;
  const line = `<polyline fill="none" stroke="#4c78a8" points="${points.map((p, i) => `${x(i).toFixed(1)},${y(p.error).toFixed(1)}`).join(' ')}"/>`;
  const dots = points
    .map(
      (p, i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(p.error).toFixed(1)}" r="3" fill="${p.alert ? '#d62728' : p.side === 'reference' ? '#4c78a8' : '#f58518'}"><title>${p.side} rows ${p.start}–${p.end - 1}: ${fmt(p.error)}${p.alert ? ' (outside the band)' : ''}</title></circle>`,
    )
    .join('');
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${band}${line}${dots}<text x="30" y="${h - 5}" font-size="10">reference chunks, then current chunks (band: mean ± 3σ of the reference)</text></svg>`;
}

/** The multivariate part of the HTML drift report: data reconstruction and the domain classifier. */
export function multivariateSection(m: MultivariateDrift): string {
  const parts: string[] = [`<h2>Multivariate drift: <strong>${m.drifted ? 'yes' : 'no'}</strong></h2>`];
  const r = m.reconstruction;
  if (r) {
    const alerts = r.current.chunks.filter((c) => c.alert).length;
    parts.push(
      `<section><h3>Data reconstruction <small>PCA ${r.components} components of ${r.features.length} features · ${alerts} of ${r.current.chunks.length} current chunks outside [${fmt(r.reference.lower)}, ${fmt(r.reference.upper)}]</small></h3>${chunkChart(r)}</section>`,
    );
  }
  const d = m.domainClassifier;
  if (d) {
    parts.push(
      `<section><h3>Domain classifier <small>${d.folds}-fold ROC AUC ${fmt(d.auc)} (threshold ${d.threshold}) · ${d.drifted ? 'drift' : 'ok'} · ${d.rows.reference} + ${d.rows.current} rows</small></h3></section>`,
    );
  }
  for (const s of m.skipped) parts.push(`<p>${esc(s.method)} skipped: ${esc(s.reason)}</p>`);
  return parts.join('\n');
}
