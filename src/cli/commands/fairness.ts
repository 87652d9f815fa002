import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { FairnessReport } from '../../contracts/index.js';
import { type Decisions, fairnessOfRows } from '../../stats/index.js';
import { CliError } from '../cli-error.js';
import { client, parseRef } from '../context.js';
import { printJson, printTable, withJson } from '../output.js';
import { openRows } from '../row-readers.js';

async function readAll(file: string): Promise<Record<string, unknown>[]> {
  const source = await openRows(file, 10_000);
  const rows: Record<string, unknown>[] = [];
  for await (const chunk of source.chunks) rows.push(...chunk.rows);
  if (rows.length === 0) throw new CliError(`--data ${file}: no rows`);
  return rows;
}

const num = (x: number | null) => (x === null ? '-' : x.toFixed(4));

function printReport(r: FairnessReport): void {
  printTable(
    Object.entries(r.groups).map(([group, g]) => ({
      group: group === r.privileged ? `${group} (privileged)` : group,
      count: g.count,
      selectionRate: num(g.selectionRate),
      tpr: num(g.tpr),
      fpr: num(g.fpr),
      accuracy: num(g.accuracy),
      disparateImpact: num(r.disparateImpact[group] ?? null),
      fourFifths: r.fourFifthsRule[group] === null ? '-' : r.fourFifthsRule[group] ? 'ok' : 'FAIL',
    })),
    ['group', 'count', 'selectionRate', 'tpr', 'fpr', 'accuracy', 'disparateImpact', 'fourFifths'],
  );
  process.stdout.write(
    `\ndemographic parity difference ${num(r.demographicParityDifference)}, ratio ${num(r.demographicParityRatio)}; equalized odds difference ${num(r.equalizedOddsDifference)}\n` +
      `${r.rows} rows (${r.excludedRows} left out for a missing label, decision or group); decisions: ${r.decision}\n`,
  );
}

export function registerFairnessCommand(program: Command): void {
  withJson(program.command('fairness'))
    .description('group fairness of binary decisions on a labelled dataset (Fairlearn and AIF360 definitions); no server needed unless --version is given')
    .requiredOption('--data <file>', 'rows: .csv, .jsonl or .parquet')
    .requiredOption('--label <column>', 'true labels (0/1)')
    .requiredOption('--sensitive <column>', 'the sensitive attribute')
    .option('--prediction <column>', 'decisions (0/1)')
    .option('--score <column>', 'scores; a decision is score >= --cutoff')
    .option('--cutoff <value>', 'cut-off for --score, or for the version’s class-1 probability', '0.5')
    .option('--privileged <value>', 'the group disparate impact compares with (default: the group selected most often)')
    .option('--version <model@version>', 'score the rows with a registered version on the server (MODEL/N or MODEL@ALIAS) and store the report')
    .action(async (o) => {
      const cutoff = Number(o.cutoff);
      if (!Number.isFinite(cutoff) || cutoff < 0 || cutoff > 1) throw new CliError(`--cutoff ${o.cutoff}: expected a number in [0, 1]`);
      let report: FairnessReport;
      if (o.version) {
        if (o.prediction || o.score) throw new CliError('--version scores the rows itself; leave out --prediction and --score');
        const { model, ref } = parseRef(o.version);
        const api = client();
        const v = await api.versions.get(model, ref);
        const ext = path.extname(o.data).toLowerCase();
        if (ext !== '.csv' && ext !== '.jsonl') throw new CliError(`--data ${o.data}: with --version send .csv or .jsonl`);
        const text = fs.readFileSync(o.data, 'utf8');
        report = await api.versions.fairness(model, v.version, text, ext === '.csv' ? 'csv' : 'jsonl', { label: o.label, sensitive: o.sensitive, privileged: o.privileged, cutoff });
      } else {
        if (Boolean(o.prediction) === Boolean(o.score)) throw new CliError('give exactly one of --prediction COLUMN and --score COLUMN (or --version MODEL@V)');
        const decisions: Decisions = o.prediction ? { kind: 'prediction', column: o.prediction } : { kind: 'score', column: o.score, cutoff };
        report = fairnessOfRows(await readAll(o.data), { label: o.label, sensitive: o.sensitive, privileged: o.privileged, decisions });
      }
      if (o.json) return printJson(report);
      printReport(report);
    });
}
