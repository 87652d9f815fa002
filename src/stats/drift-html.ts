import { categoryShares, numbers, present, sturgesEdges, histogram, type Values } from './binning.js';
import type { DriftReport } from './drift-report.js';
import type { MultivariateDrift } from './multivariate-drift.js';
import { multivariateSection } from './multivariate-html.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Reference and current shares over shared bins (numbers) or categories, for a chart. */
export function distribution(ref: Values, cur: Values, kind: 'num' | 'cat'): { labels: string[]; ref: number[]; cur: number[] } {
  const r = present(ref);
  const c = present(cur);
  if (kind === 'num') {
    const rn = numbers(r);
    const cn = numbers(c);
    const edges = sturgesEdges([...rn, ...cn]);
    const hr = histogram(rn, edges);
    const hc = histogram(cn, edges);
    return {
      labels: edges.slice(0, -1).map((e, i) => `${e.toPrecision(3)}–${edges[i + 1]!.toPrecision(3)}`),
      ref: hr.map((n) => n / Math.max(1, rn.length)),
      cur: hc.map((n) => n / Math.max(1, cn.length)),
    };
  }
  const s = categoryShares(r, c);
  return { labels: s.keys.map(String), ref: s.ref, cur: s.cur };
}

/** Two overlaid bar series as inline SVG: no scripts, no external files. */
function chart(d: { labels: string[]; ref: number[]; cur: number[] }): string {
  const w = 640;
  const h = 180;
  const n = Math.max(1, d.labels.length);
  const max = Math.max(1e-12, ...d.ref, ...d.cur);
  const bw = (w - 40) / n;
  const bars = d.labels
    .map((label, i) => {
      const x = 30 + i * bw;
      const rh = (d.ref[i]! / max) * (h - 30);
      const ch = (d.cur[i]! / max) * (h - 30);
      return (
        `<rect x="${x.toFixed(1)}" y="${(h - 20 - rh).toFixed(1)}" width="${(bw * 0.45).toFixed(1)}" height="${rh.toFixed(1)}" fill="#4c78a8"><title>reference ${esc(label)}: ${(d.ref[i]! * 100).toFixed(1)}%</title></rect>` +
        `<rect x="${(x + bw * 0.45).toFixed(1)}" y="${(h - 20 - ch).toFixed(1)}" width="${(bw * 0.45).toFixed(1)}" height="${ch.toFixed(1)}" fill="#f58518"><title>current ${esc(label)}: ${(d.cur[i]! * 100).toFixed(1)}%</title></rect>`
      );
    })
    .join('');
  const first = esc(d.labels[0] ?? '');
  const last = esc(d.labels[d.labels.length - 1] ?? '');
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img"><line x1="28" y1="${h - 20}" x2="${w - 8}" y2="${h - 20}" stroke="#999"/>${bars}<text x="30" y="${h - 5}" font-size="10">${first}</text><text x="${w - 10}" y="${h - 5}" font-size="10" text-anchor="end">${last}</text></svg>`;
}

/**
 * A self-contained HTML drift report: summary, one row and one distribution chart per feature, and
 * the multivariate methods when they ran.
 */
export function driftHtml(report: DriftReport, reference: Record<string, Values>, current: Record<string, Values>, title = 'Sextant data drift report', multivariate?: MultivariateDrift): string {
  const rows = report.features
    .map(
      (f) =>
        `<tr class="${f.drifted ? 'drift' : ''}"><td>${esc(f.feature)}</td><td>${f.kind}</td><td>${f.test}</td><td>${f.statistic.toPrecision(4)}</td><td>${f.pValue === null ? '–' : f.pValue.toPrecision(4)}</td><td>${f.threshold}</td><td>${f.drifted ? 'drift' : 'ok'}</td></tr>`,
    )
    .join('\n');
  const charts = report.features
    .map((f) => `<section><h3>${esc(f.feature)} <small>${f.test} ${f.statistic.toPrecision(4)}${f.drifted ? ' · drift' : ''}</small></h3>${chart(distribution(reference[f.feature]!, current[f.feature]!, f.kind))}</section>`)
    .join('\n');
  const drifted = report.features.filter((f) => f.drifted).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:left}tr.drift td{background:#fde8e8}.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem}small{color:#666;font-weight:normal}</style>
</head><body>
<h1>${esc(title)}</h1>
<p><strong>${drifted} of ${report.features.length}</strong> features drifted (share ${report.driftedShare.toFixed(3)}). Dataset drift: <strong>${report.drifted ? 'yes' : 'no'}</strong>.</p>
<table><thead><tr><th>feature</th><th>kind</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>result</th></tr></thead><tbody>
${rows}
</tbody></table>
${multivariate ? multivariateSection(multivariate) : ''}
<p class="legend"><span style="background:#4c78a8"></span>reference<span style="background:#f58518"></span>current</p>
${charts}
</body></html>
`;
}
