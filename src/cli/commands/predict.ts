import fs from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { client, positiveInt } from '../context.js';
import { openRows } from '../row-readers.js';

/** Flattens one prediction into CSV cells: a value, an array, or an object of outputs. */
function flatten(p: unknown, prefix = 'prediction'): [string, unknown][] {
  if (Array.isArray(p)) return p.flatMap((v, i) => flatten(v, `${prefix}_${i}`));
  if (p && typeof p === 'object') return Object.entries(p).flatMap(([k, v]) => flatten(v, k));
  return [[prefix, p]];
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function registerPredictCommand(program: Command): void {
  program
    .command('predict <deployment>')
    .description('score a CSV, JSON-lines or Parquet file through a deployment, in constant memory')
    .requiredOption('--input <file>', 'rows.csv | rows.jsonl | rows.parquet')
    .requiredOption('--output <file>', 'predictions CSV (one line per input row, in order)')
    .option('--batch-size <n>', 'rows per request', '1000')
    .action(async (deployment: string, o) => {
      const api = client();
      const source = await openRows(o.input, positiveInt('--batch-size', o.batchSize));
      const out = fs.createWriteStream(o.output);
      const bar = process.stderr.isTTY ? new SingleBar({ format: `scoring [{bar}] {percentage}% {value}/{total} ${source.unit} | {rows} rows`, stream: process.stderr }) : undefined;
      bar?.start(source.total, 0, { rows: 0 });
      let header: string[] | undefined;
      let written = 0;
      const versions = new Set<number>();
      try {
        for await (const chunk of source.chunks) {
          const columns = [...new Set(chunk.rows.flatMap((r) => Object.keys(r)))];
          const data = chunk.rows.map((r) => columns.map((c) => r[c] ?? null));
          const res = await api.inference.invocations(deployment, { dataframe_split: { columns, data } });
          versions.add(res.version);
          const lines: string[] = [];
          for (const p of res.predictions) {
            const cells = flatten(p);
            if (!header) {
              header = ['row', ...cells.map(([k]) => k), 'version'];
              lines.push(header.join(','));
            }
            lines.push([written, ...cells.map(([, v]) => csvCell(v)), res.version].join(','));
            written++;
          }
          if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
          bar?.update(chunk.done, { rows: written });
        }
      } finally {
        bar?.stop();
        out.end();
        await once(out, 'finish').catch(() => {});
      }
      process.stderr.write(`scored ${written} rows with ${deployment} (version ${[...versions].join(', ')}) into ${o.output}\n`);
    });
}
