import fs from 'node:fs';
import type { Command } from 'commander';
import { csvRecords } from '../csv-columns.js';
import { openRows } from '../row-readers.js';
import { DriftSide, driftHtml, multivariateDrift, streamDriftReport, TEST_NAMES, type TestName, type Values } from '../../stats/index.js';
import { gbtFitScore } from '../../pipelines/trainers/gbt-scorer.js';
import { CliError } from '../cli-error.js';
import { printJson, printTable, withJson } from '../output.js';

/**
 * Streams a CSV, JSON-lines or Parquet file into a drift side: exact up to the row bound, sketches
 * beyond it. With `sample`, the first `sample` rows are also kept as columns (multivariate methods).
 */
async function readSide(file: string, rowBound: number, sample: number): Promise<{ side: DriftSide; head: Record<string, Values> }> {
  const side = new DriftSide(rowBound);
  const head: Record<string, (number | string | boolean | null)[]> = {};
  if (file.toLowerCase().endsWith('.csv') && fs.existsSync(file)) {
    // CSV is most of the cost of a big comparison: read it straight into the columns.
    for await (const { header, records } of csvRecords(file)) {
      if (new Set(header).size !== header.length) throw new CliError(`${file}: the header names a column twice`);
      for (const rec of records) {
        if (side.rows < sample) for (let j = 0; j < header.length; j++) (head[header[j]!] ??= []).push(rec[j]!);
        side.pushValues(header, rec);
      }
    }
    if (side.rows === 0) throw new CliError(`${file}: no rows`);
    return { side, head };
  }
  let source;
  try {
    source = await openRows(file, 10_000);
  } catch (err) {
    throw new CliError((err as Error).message.replace('--input ', ''));
  }
  for await (const chunk of source.chunks) {
    for (const row of chunk.rows) {
      if (side.rows < sample) {
        for (const k of Object.keys(row)) head[k] ??= new Array(side.rows).fill(null);
        for (const [k, c] of Object.entries(head)) c.push((row[k] ?? null) as number | string | boolean | null);
      }
      side.push(row);
    }
  }
  if (side.rows === 0) throw new CliError(`${file}: no rows`);
  return { side, head };
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
    .option('--row-bound <rows>', 'exact up to this many rows per side; beyond it, KLL sketches with a stated error bound', positiveInt('--row-bound'), 1_000_000)
    .option('--multivariate-rows <rows>', 'rows per side the multivariate methods and the HTML charts use (the first ones)', positiveInt('--multivariate-rows'), 100_000)
    .action(async (o) => {
      // The multivariate methods and the charts need rows, not sketches: keep the first ones.
      const sample = o.multivariate || o.html ? o.multivariateRows : 0;
      const { side: ref, head: reference } = await readSide(o.reference, o.rowBound, sample);
      const { side: cur, head: current } = await readSide(o.current, o.rowBound, sample);
      if (![...ref.columns.keys()].some((k) => cur.columns.has(k))) throw new CliError(`${o.current} shares no column with ${o.reference}`);
      const r = streamDriftReport(ref, cur, { tests: o.test, driftShare: Number(o.driftShare) });
      if (r.mode === 'sketch') {
        process.stderr.write(
          `more than ${o.rowBound} rows on a side (${r.rows.reference} reference, ${r.rows.current} current): switched to KLL sketches (rank error ±${(r.rankError! * 100).toFixed(2)} % per sketched side); columns with at most 10,000 distinct values stay exact from their counts; each feature's errorBound says how far its statistic may be from the exact one\n`,
        );
      }
      const multivariate = o.multivariate
        ? await multivariateDrift(reference, current, gbtFitScore(), { reconstruction: { chunkSize: o.chunkSize }, domainClassifier: { threshold: o.aucThreshold } })
        : undefined;
      if (o.html) {
        fs.writeFileSync(o.html, driftHtml(r, reference, current, undefined, multivariate));
        process.stderr.write(`wrote ${o.html}\n`);
      }
      if (o.json) return printJson(multivariate ? { ...r, multivariate } : r);
      printTable(
        r.features.map((f) => ({
          feature: f.feature,
          kind: f.kind,
          test: f.test,
          statistic: f.statistic.toPrecision(4),
          pValue: f.pValue === null ? null : f.pValue.toPrecision(4),
          threshold: f.threshold,
          drifted: f.drifted ? 'DRIFT' : 'ok',
          ...(r.mode === 'sketch' ? { errorBound: f.errorBound ? `±${f.errorBound.toPrecision(2)}` : 'exact' } : {}),
        })),
        ['feature', 'kind', 'test', 'statistic', 'pValue', 'threshold', 'drifted', ...(r.mode === 'sketch' ? ['errorBound'] : [])],
      );
      process.stdout.write(`\n${r.features.filter((f) => f.drifted).length} of ${r.features.length} features drifted (share ${r.driftedShare.toFixed(3)}); dataset drift: ${r.drifted ? 'YES' : 'no'}\n`);
      for (const s of r.skipped) process.stderr.write(`skipped ${s.feature}: ${s.reason}\n`);
      if (multivariate) printMultivariate(multivariate);
    });
}
