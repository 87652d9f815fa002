import type { Command } from 'commander';
import type { Explanations } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client } from '../context.js';
import { printJson, printTable, withJson } from '../output.js';
import { openRows } from '../row-readers.js';

/** Rows one explain command sends at most (explanations are per row; use `predict` for bulk scoring). */
const MAX_ROWS = 10_000;
const CHUNK = 500;

/** The class a row's explanation is shown for: the largest output (the predicted class). */
function shownClass(e: Explanations, r: number): { base: number; phi: number[]; cls?: number } {
  if (typeof e.baseValue === 'number') return { base: e.baseValue, phi: (e.contributions as number[][])[r]! };
  const perClass = (e.contributions as number[][][])[r]!;
  const bases = e.baseValue;
  const totals = perClass.map((c, j) => bases[j]! + c.reduce((s, x) => s + x, 0));
  const cls = totals.indexOf(Math.max(...totals));
  return { base: bases[cls]!, phi: perClass[cls]!, cls };
}

const fmt = (x: number) => (Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4));

export function registerExplainCommand(program: Command): void {
  withJson(
    program
      .command('explain <deployment>')
      .description('predictions with their SHAP explanations (TreeSHAP for trees, linear SHAP for linear models)')
      .requiredOption('--input <file>', 'rows.csv | rows.jsonl | rows.parquet')
      .option('--top <n>', 'features shown per row in the table', '5'),
  ).action(async (deployment: string, o) => {
    const api = client();
    const source = await openRows(o.input, CHUNK);
    const predictions: unknown[] = [];
    let explanations: Explanations | undefined;
    let version = 0;
    for await (const chunk of source.chunks) {
      if (predictions.length + chunk.rows.length > MAX_ROWS) throw new CliError(`--input ${o.input}: more than ${MAX_ROWS} rows; explain a sample (sextant predict scores whole files)`);
      const columns = [...new Set(chunk.rows.flatMap((r) => Object.keys(r)))];
      const res = await api.inference.explain(deployment, { dataframe_split: { columns, data: chunk.rows.map((r) => columns.map((c) => r[c] ?? null)) } });
      version = res.version;
      predictions.push(...res.predictions);
      if (!explanations) explanations = res.explanations;
      else explanations.contributions = [...explanations.contributions, ...res.explanations.contributions] as Explanations['contributions'];
    }
    if (!explanations) throw new CliError(`--input ${o.input}: no rows`);
    if (o.json) return printJson({ predictions, explanations });
    const top = Number(o.top) || 5;
    const e = explanations;
    const rows = predictions.map((p, r) => {
      const { base, phi, cls } = shownClass(e, r);
      const order = phi.map((_, i) => i).sort((a, b) => Math.abs(phi[b]!) - Math.abs(phi[a]!));
      return {
        row: r,
        prediction: typeof p === 'object' && p !== null && 'label' in p ? (p as { label: unknown }).label : p,
        ...(cls !== undefined ? { class: cls } : {}),
        base: fmt(base),
        output: fmt(base + phi.reduce((s, x) => s + x, 0)),
        contributions: order
          .slice(0, top)
          .map((i) => `${e.features[i]}${phi[i]! >= 0 ? '+' : ''}${fmt(phi[i]!)}`)
          .join(' '),
      };
    });
    printTable(rows, ['row', 'prediction', ...(typeof e.baseValue === 'number' ? [] : ['class']), 'base', 'output', 'contributions']);
    process.stderr.write(`version ${version}; contributions in ${e.space} space, base + contributions = output\n`);
  });
}
