import type { ModelCard } from '../contracts/cards.js';

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj => (x && typeof x === 'object' ? (x as Obj) : {});
const list = (x: unknown): Obj[] => (Array.isArray(x) ? (x as Obj[]) : []);
const num = (x: unknown) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toPrecision(4)) : x === null || x === undefined ? '–' : String(x));
const failed = (x: unknown) => (x && typeof x === 'object' && 'error' in x ? String((x as Obj).error) : null);

/** A card as a list of titled blocks: paragraphs, bullet lists and tables, rendered to Markdown or HTML. */
type Block = { kind: 'p'; text: string } | { kind: 'ul'; items: string[] } | { kind: 'table'; head: string[]; rows: string[][] };
interface Part {
  title: string;
  blocks: Block[];
}

const p = (text: string): Block => ({ kind: 'p', text });
const ul = (items: string[]): Block => ({ kind: 'ul', items });
const table = (head: string[], rows: string[][]): Block => ({ kind: 'table', head, rows });
const orNone = (items: string[], none: string): Block => (items.length ? ul(items) : p(none));

function parts(card: ModelCard): { title: string; parts: Part[] } {
  const d = card.model_details;
  const x = obj(d.sextant);
  const mp = card.model_parameters;
  const qa = card.quantitative_analysis;
  const qx = obj(qa.sextant);
  const c = card.considerations;
  const lineage = obj(x.lineage);
  const out: Part[] = [];
  out.push({
    title: 'Model details',
    blocks: [
      p(String(d.overview || 'No overview yet (sextant card edit).')),
      ...(d.documentation ? [p(String(d.documentation))] : []),
      table(
        ['', ''],
        [
          ['Version', `${num(x.version)} (${num(x.status)}), registered ${num(x.createdAt)} by ${num(x.author)}`],
          ['Task / format', `${num(x.task)} / ${num(x.format)}`],
          ['Owners', list(d.owners).map((o) => `${o.name}${o.contact ? ` <${o.contact}>` : ''}`).join(', ') || '–'],
          ['Licenses', list(d.licenses).map((l) => String(l.identifier ?? 'custom')).join(', ') || '–'],
          ['Aliases', (x.aliases as string[] | undefined)?.join(', ') || '–'],
          ['Parent version', num(lineage.parentVersion)],
          ['Training data', `${num(lineage.dataUri)} (digest ${num(lineage.dataDigest)})`],
          ['Code', num(lineage.codeRef)],
          ['Job', num(lineage.jobId)],
          ['Artifact digest', num(x.digest)],
        ],
      ),
      ...(list(d.references).length ? [ul(list(d.references).map((r) => String(r.reference)))] : []),
    ],
  });
  const history = failed(x.aliasHistory) ?? list(x.aliasHistory);
  out.push({
    title: 'What served when',
    blocks: [typeof history === 'string' ? p(history) : history.length ? table(['alias', 'from', 'to', 'action', 'actor', 'reason'], history.map((h) => [h.alias, h.from, h.to, h.action, h.actor, h.reason].map(num))) : p('No alias has pointed at this version.')],
  });
  const approvals = failed(x.approvals) ?? list(x.approvals);
  out.push({
    title: 'Approvals',
    blocks: [typeof approvals === 'string' ? p(approvals) : approvals.length ? table(['status', 'requested by', 'decided by', 'decided at', 'reason'], approvals.map((a) => [a.status, a.requestedBy, a.decidedBy, a.decidedAt, a.reason].map(num))) : p('No approval recorded.')],
  });
  out.push({
    title: 'Model parameters',
    blocks: [
      table(['', ''], [['Architecture', num(mp.model_architecture)], ['Inputs', num(mp.input_format)], ['Outputs', num(mp.output_format)]]),
      ...list(mp.data).map((ds) => p(`${ds.name}: ${ds.description ?? ''}${ds.link ? ` (${ds.link})` : ''}${obj(ds.sensitive).sensitive_data ? `; personal data: ${(obj(ds.sensitive).sensitive_data as string[]).join(', ')}` : ''}`)),
    ],
  });
  const metrics = list(qa.performance_metrics);
  out.push({ title: 'Performance', blocks: [metrics.length ? table(['metric', 'value', 'slice'], metrics.map((m) => [String(m.type), num(m.value), String(m.slice ?? '')])) : p('No metrics recorded.')] });
  const v = qx.validation;
  out.push({
    title: 'Validation gate',
    blocks: [
      failed(v)
        ? p(failed(v)!)
        : v
          ? table(['metric', 'challenger', 'champion', 'passed', 'reason'], list(obj(v).checks).map((ch) => [ch.metric, ch.challenger, ch.champion, ch.passed ? 'yes' : 'NO', ch.reason].map(num)))
          : p('Not validated (registered by hand).'),
      ...(v && !failed(v) ? [p(`Result: ${obj(v).passed ? 'passed' : 'FAILED'} against champion version ${num(obj(v).champion)} on ${num(obj(v).holdoutRows)} holdout rows.`)] : []),
    ],
  });
  const drift = failed(qx.drift) ?? list(qx.drift);
  out.push({
    title: 'Drift',
    blocks: [
      typeof drift === 'string'
        ? p(drift)
        : drift.length
          ? table(['deployment', 'window end', 'drifted', 'share', 'features', 'open alerts'], drift.map((w) => [w.deployment, w.windowEnd, w.error ? `– (${w.error})` : w.drifted ? 'YES' : 'no', num(w.driftedShare), (w.driftedFeatures as string[]).join(', '), (w.openAlerts as string[]).join(', ')].map(num)))
          : p('No monitored deployment.'),
    ],
  });
  const f = qx.fairness;
  const fr = obj(f);
  out.push({
    title: 'Fairness',
    blocks: failed(f)
      ? [p(failed(f)!)]
      : f
        ? [
            p(`By ${fr.sensitive} (privileged: ${fr.privileged}), ${fr.rows} rows, ${fr.createdAt}: demographic parity difference ${num(fr.demographicParityDifference)}, ratio ${num(fr.demographicParityRatio)}; equalized odds difference ${num(fr.equalizedOddsDifference)}.`),
            table(['group', 'count', 'selection rate', 'tpr', 'fpr', 'accuracy', 'disparate impact', 'four-fifths'], Object.entries(obj(fr.groups)).map(([g, m]) => [g, ...['count', 'selectionRate', 'tpr', 'fpr', 'accuracy'].map((k) => num(obj(m)[k])), num(obj(fr.disparateImpact)[g]), obj(fr.fourFifthsRule)[g] === false ? 'FAIL' : 'ok'])),
          ]
        : [p('No fairness report yet (sextant fairness --version MODEL@V).')],
  });
  const imp = qx.importance;
  out.push({
    title: 'Global importance',
    blocks: failed(imp) ? [p(failed(imp)!)] : [p(`Mean |SHAP contribution| over ${num(obj(imp).rows)} reference rows (${num(obj(imp).space)} space).`), table(['feature', 'importance'], list(obj(imp).features).slice(0, 20).map((r) => [String(r.feature), num(r.meanAbsContribution)]))],
  });
  const desc = (k: string) => list(c[k]).map((u) => String(u.description));
  out.push({
    title: 'Considerations',
    blocks: [
      p('Intended use'),
      orNone(desc('use_cases'), 'Not stated.'),
      p('Users'),
      orNone(desc('users'), 'Not stated.'),
      p('Limitations'),
      orNone(desc('limitations'), 'Not stated.'),
      p('Tradeoffs'),
      orNone(desc('tradeoffs'), 'Not stated.'),
      p('Ethical considerations'),
      orNone(list(c.ethical_considerations).map((r) => `${r.name}${r.mitigation_strategy ? ` — mitigation: ${r.mitigation_strategy}` : ''}`), 'Not stated.'),
    ],
  });
  return { title: `Model card: ${d.name} version ${num(x.version)}`, parts: out };
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The card as Markdown. */
export function cardMarkdown(card: ModelCard): string {
  const { title, parts: ps } = parts(card);
  const lines = [`# ${title}`, ''];
  for (const part of ps) {
    lines.push(`## ${part.title}`, '');
    for (const b of part.blocks) {
      if (b.kind === 'p') lines.push(b.text, '');
      else if (b.kind === 'ul') lines.push(...b.items.map((i) => `- ${i}`), '');
      else lines.push(`| ${b.head.map(mdCell).join(' | ')} |`, `|${b.head.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), '');
    }
  }
  lines.push(`_Generated by Sextant at ${num(obj(card.model_details.sextant).generatedAt)} (Model Card Toolkit schema ${card.schema_version})._`, '');
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;max-width:960px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;border-bottom:2px solid #1d2330;padding-bottom:.3em}h2{font-size:1.15em;margin-top:1.6em;color:#25406b}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #c9d0dc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#eef2f8}footer{margin-top:2em;color:#667;font-size:.85em}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}table,section{break-inside:avoid}a{color:inherit}}`;

/** The card as one self-contained, printable HTML page (no scripts, no external resources). */
export function cardHtml(card: ModelCard): string {
  const { title, parts: ps } = parts(card);
  const block = (b: Block) =>
    b.kind === 'p'
      ? `<p>${esc(b.text)}</p>`
      : b.kind === 'ul'
        ? `<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`
        : `<table>${b.head.some((h) => h) ? `<thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` : ''}<tbody>${b.rows.map((r) => `<tr>${r.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const body = ps.map((part) => `<section><h2>${esc(part.title)}</h2>${part.blocks.map(block).join('')}</section>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body><h1>${esc(title)}</h1>\n${body}\n<footer>Generated by Sextant at ${esc(num(obj(card.model_details.sextant).generatedAt))} (Model Card Toolkit schema ${esc(card.schema_version)}).</footer></body></html>\n`;
}
