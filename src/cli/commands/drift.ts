import fs from 'node:fs';
import type { Command } from 'commander';
import { openRows } from '../row-readers.js';
import { driftHtml, driftReport, multivariateDrift, TEST_NAMES, type TestName, type Values } from '../../stats/index.js';
import { gbtFitScore } from '../../pipelines/trainers/gbt-scorer.js';
import { CliError } from '../cli-error.js';
import { printJson, printTable, withJson } from '../output.js';

/** Reads a whole CSV, JSON-lines or Parquet file into columns (drift reports compare full samples). */
async function columns(file: string): Promise<Record<string, Values>> {
  const source = await openRows(file, 10_000);
  const cols: Record<string, (number | string | boolean | null)[]> = {};
  let n = 0;
  for await (const chunk of source.chunks) {
    for (const row of chunk.rows) {
      for (const [k, v] of Object.entries(row)) (cols[k] ??= new Array(n).fill(null))[n] = v as number | string | boolean | null;
      n++;
      for (const c of Object.values(cols)) if (c.length < n) c.length = n;
    }
  }
  if (n === 0) throw new CliError(`${file}: no rows`);
  return cols;
}

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} ${v}: expected a whole number of rows, at least 1`);
  return n;
};
const unitInterval = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new CliError(`${flag} ${v}: expected a number between 0 and 1`);
  return n;
};

function printMultivariate(m: Awaited<ReturnType<typeof multivariateDrift>>): void {
  const r = m.reconstruction;
  if (r) {
    const alerts = r.current.chunks.filter((c) => c.alert);
    process.stdout.write(
      `\ndata reconstruction: PCA keeps ${r.components} of ${r.features.length} dimensions; reference band [${r.reference.lower.toPrecision(4)}, ${r.reference.upper.toPrecision(4)}] over ${r.reference.chunks.length} chunks of ${r.chunkSize} rows; current error ${r.current.error.toPrecision(4)}; ${alerts.length} of ${r.current.chunks.length} current chunks outside the band${alerts.length ? ` (rows ${alerts.map((c) => `${c.start}–${c.end - 1}`).join(', ')})` : ''}\n`,
    );
  }
  const d = m.domainClassifier;
  if (d) process.stdout.write(`domain classifier: ${d.folds}-fold ROC AUC ${d.auc.toPrecision(4)} (threshold ${d.threshold}) on ${d.rows.reference} + ${d.rows.current} rows: ${d.drifted ? 'DRIFT' : 'ok'}\n`);
  process.stdout.write(`multivariate drift: ${m.drifted ? 'YES' : 'no'}\n`);
  for (const s of m.skipped) process.stderr.write(`skipped ${s.method}: ${s.reason}\n`);
}

export function registerDriftCommand(program: Command): void {
  withJson(program.command('drift'))
    .description('compare two datasets feature by feature, as an Evidently data-drift report (no server needed)')
    .requiredOption('--reference <file>', 'reference rows: .csv, .jsonl or .parquet')
    .requiredOption('--current <file>', 'current rows, same columns')
    .option('--test <feature=test>', `override the test of a feature (${TEST_NAMES.join(', ')}), repeatable`, (v: string, prev: Record<string, TestName> = {}) => {
      const [f, t] = v.split('=');
      if (!f || !TEST_NAMES.includes(t as TestName)) throw new CliError(`--test ${v}: expected FEATURE=${TEST_NAMES.join('|')}`);
      return { ...prev, [f]: t as TestName };
    }, {})
    .option('--drift-share <share>', 'share of drifted features that makes the dataset drifted', '0.5')
    .option('--html <file>', 'also write a self-contained HTML report with a chart per feature')
    .option('--multivariate', 'also test the features together: data reconstruction (PCA) and a gbt domain classifier')
    .option('--chunk-size <rows>', 'rows per chunk for data reconstruction (default: a tenth of the reference)', positiveInt('--chunk-size'))
    .option('--auc-threshold <auc>', 'domain classifier: drift when its cross-validated ROC AUC exceeds this', unitInterval('--auc-threshold'), 0.65)
    .action(async (o) => {
      const reference = await columns(o.reference);
      const current = await columns(o.current);
      if (!Object.keys(reference).some((k) => k in current)) throw new CliError(`${o.current} shares no column with ${o.reference}`);
      const r = driftReport(reference, current, { tests: o.test, driftShare: Number(o.driftShare) });
      const multivariate = o.multivariate
        ? await multivariateDrift(reference, current, gbtFitScore(), { reconstruction: { chunkSize: o.chunkSize }, domainClassifier: { threshold: o.aucThreshold } })
        : undefined;
      if (o.html) {
        fs.writeFileSync(o.html, driftHtml(r, reference, current, undefined, multivariate));
        process.stderr.write(`wrote ${o.html}\n`);
      }
      if (o.json) return printJson(multivariate ? { ...r, multivariate } : r);
      printTable(
        r.features.map((f) => ({ feature: f.feature, kind: f.kind, test: f.test, statistic: f.statistic.toPrecision(4), pValue: f.pValue === null ? null : f.pValue.toPrecision(4), threshold: f.threshold, drifted: f.drifted ? 'DRIFT' : 'ok' })),
        ['feature', 'kind', 'test', 'statistic', 'pValue', 'threshold', 'drifted'],
      );
      process.stdout.write(`\n${r.features.filter((f) => f.drifted).length} of ${r.features.length} features drifted (share ${r.driftedShare.toFixed(3)}); dataset drift: ${r.drifted ? 'YES' : 'no'}\n`);
      for (const s of r.skipped) process.stderr.write(`skipped ${s.feature}: ${s.reason}\n`);
      if (multivariate) printMultivariate(multivariate);
    });
}
