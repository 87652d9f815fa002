import type { ExperimentResult } from './run-experiment.js';

const COLORS: Record<string, string> = { static: '#9e9e9e', monitored: '#1f77b4', automated: '#d62728' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/**
 * Accuracy per window for each set-up as a self-contained SVG: a line per set-up, dashed lines where
 * the stream drifts, triangles where a retrain finished and circles where the champion moved.
 */
export function accuracyChart(r: ExperimentResult): string {
  const W = 960;
  const H = 420;
  const m = { l: 56, r: 150, t: 36, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = r.setups.flatMap((s) => s.windows.map((w) => w.accuracy));
  const lo = Math.max(0, Math.floor((Math.min(...all, 1) - 0.05) * 10) / 10);
  const x = (row: number) => Math.round((m.l + ((row - r.warmupRows) / Math.max(1, r.rows - r.warmupRows)) * pw) * 10) / 10;
  const y = (acc: number) => Math.round((m.t + (1 - (acc - lo) / (1 - lo)) * ph) * 10) / 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l}" y="20" font-size="14" font-weight="bold">Accuracy per window of ${r.windowRows} requests — ${esc(r.stream)} stream, ${r.rows} rows, seed ${r.seed}</text>`);
  for (let v = lo; v <= 1.0001; v += 0.1) {
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/><line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">row of the stream</text>`);
  for (const c of r.changes) {
    out.push(`<line x1="${x(c.row)}" x2="${x(c.row)}" y1="${m.t}" y2="${m.t + ph}" stroke="#555" stroke-dasharray="4 4"><title>${esc(c.what)}</title></line>`);
    out.push(`<text x="${x(c.row) + 3}" y="${m.t + 12}" fill="#555" font-size="10">drift</text>`);
  }
  r.setups.forEach((s, i) => {
    const color = COLORS[s.name] ?? '#000';
    const pts = s.windows.map((w) => `${x(w.row).toFixed(1)},${y(w.accuracy).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    const at = (row: number) => s.windows.find((w) => w.row === row)?.accuracy ?? 1;
    for (const mk of s.markers) {
      const cx = x(mk.row);
      const cy = y(at(mk.row));
      if (mk.kind === 'retrain') out.push(`<path d="M${cx} ${cy - 11} l5 8 h-10 z" fill="${color}"><title>${esc(mk.detail)}</title></path>`);
      if (mk.kind === 'promotion') out.push(`<circle cx="${cx}" cy="${cy}" r="5" fill="white" stroke="${color}" stroke-width="2"><title>${esc(mk.detail)}</title></circle>`);
    }
    const ly = m.t + 20 + i * 20;
    out.push(`<line x1="${m.l + pw + 16}" x2="${m.l + pw + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${m.l + pw + 46}" y="${ly + 4}">${s.name} ${(s.accuracy * 100).toFixed(1)} %</text>`);
  });
  const ly = m.t + 20 + r.setups.length * 20 + 10;
  out.push(`<path d="M${m.l + pw + 28} ${ly - 6} l5 8 h-10 z" fill="#333"/><text x="${m.l + pw + 46}" y="${ly + 4}">retrain</text>`);
  out.push(`<circle cx="${m.l + pw + 28}" cy="${ly + 20}" r="5" fill="white" stroke="#333" stroke-width="2"/><text x="${m.l + pw + 46}" y="${ly + 24}">promotion</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The seed study's Table 1, with measured figures. */
export function resultTable(r: ExperimentResult): string {
  const head = ['set-up', 'accuracy', 'value/1k', 'lost to drift/1k', 'p50 ms', 'p99 ms', 'error rate', 'human actions', 'retrains', 'retrain CPU s', 'promotions'];
  const rows = r.setups.map((s) => [
    s.name,
    `${(s.accuracy * 100).toFixed(1)} %`,
    s.valuePer1000.toFixed(1),
    s.valueLostToDrift.toFixed(1),
    s.p50Ms.toFixed(2),
    s.p99Ms.toFixed(2),
    `${(s.errorRate * 100).toFixed(2)} %`,
    String(s.humanActions),
    String(s.retrains),
    s.cpuSecondsRetraining.toFixed(2),
    String(s.promotions),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const oracle = `oracle (retrained before every window): ${r.oracle.valuePer1000.toFixed(1)} per 1,000 predictions; outcome values tp ${r.kpi.tp}, fp ${r.kpi.fp}, fn ${r.kpi.fn}, tn ${r.kpi.tn}`;
  return [line(head), ...rows.map(line), '', oracle].join('\n');
}
