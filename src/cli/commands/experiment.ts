import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { accuracyChart, resultTable, runExperiment, STREAMS } from '../../experiment/index.js';
import { CliError } from '../cli-error.js';
import { positiveInt } from '../context.js';
import { printJson } from '../output.js';
import { parseValueFlags } from './kpi.js';

const DATASET = fileURLToPath(new URL('../../../assets/datasets/breast-cancer.csv', import.meta.url));

export function registerExperimentCommand(program: Command): void {
  program
    .command('experiment')
    .description('replay a drifting labelled stream through a static model, monitoring with a person in the loop, and automated retraining; compare them')
    .option('--stream <name>', `${STREAMS.join(' | ')}`, 'sea')
    .option('--rows <n>', 'rows in the stream (the first tenth, at most 1,000, trains the first model)', '20000')
    .option('--seed <n>', 'seed of the stream and of every split', '7')
    .option('--window-rows <n>', 'requests per monitoring window', '500')
    .option('--human-delay <windows>', 'windows between an alert and the person acting on it (monitored set-up)', '4')
    .option('--out <dir>', 'where to write results.json, table.txt and accuracy.svg', 'sextant-experiment')
    .option('--value <outcome=number>', 'what an outcome is worth (tp, fp, fn, tn; repeatable; default: right answers 1, wrong ones -1)', (v: string, all: string[] = []) => [...all, v])
    .option('--json', 'print {"setups": [...]} instead of the table')
    .action(async (o) => {
      if (!(STREAMS as readonly string[]).includes(o.stream)) throw new CliError(`--stream ${o.stream}: expected one of ${STREAMS.join(', ')}`);
      const rows = positiveInt('--rows', o.rows);
      const windowRows = positiveInt('--window-rows', o.windowRows);
      if (windowRows < 10) throw new CliError('--window-rows: at least 10');
      if (rows < 10 * windowRows) throw new CliError(`--rows ${rows}: needs at least ten windows (10 × --window-rows ${windowRows})`);
      const values = parseValueFlags(o.value ?? []);
      if (values.classes) throw new CliError('--value: the experiment streams are binary; give OUTCOME=NUMBER');
      const kpi = values.outcomes ? { tp: 0, fp: 0, fn: 0, tn: 0, ...values.outcomes } : undefined;
      const started = Date.now();
      const result = await runExperiment({
        stream: o.stream,
        rows,
        seed: Number(o.seed),
        windowRows,
        humanDelayWindows: Number(o.humanDelay),
        datasetPath: DATASET,
        kpi,
        log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
      });
      const dir = path.resolve(o.out, result.stream);
      fs.mkdirSync(dir, { recursive: true });
      const table = resultTable(result);
      fs.writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify(result, null, 1)}\n`);
      fs.writeFileSync(path.join(dir, 'table.txt'), `${table}\n`);
      fs.writeFileSync(path.join(dir, 'accuracy.svg'), accuracyChart(result));
      const setups = result.setups.map((s) => ({ name: s.name, accuracy: s.accuracy, p50Ms: s.p50Ms, p99Ms: s.p99Ms, errorRate: s.errorRate, humanActions: s.humanActions, retrains: s.retrains, promotions: s.promotions, valuePer1000: s.valuePer1000, valueLostToDrift: s.valueLostToDrift, cpuSecondsRetraining: s.cpuSecondsRetraining }));
      if (o.json) return printJson({ stream: result.stream, rows: result.rows, seed: result.seed, kpi: result.kpi, oracle: result.oracle, setups, files: dir });
      process.stdout.write(`${result.stream} stream, ${result.rows} rows (seed ${result.seed}), windows of ${result.windowRows} requests, drift at rows ${result.changes.map((c) => c.row).join(', ')}\n\n${table}\n\n`);
      process.stdout.write(`wrote ${path.join(dir, 'results.json')}, table.txt and accuracy.svg (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    });
}
