import type { Command } from 'commander';
import { DetectorRule, type Monitor, type MonitorResult } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client, positiveInt } from '../context.js';
import { printFields, printJson, printTable, withJson } from '../output.js';

const row = (r: MonitorResult) => ({
  window: `${r.windowStart} → ${r.windowEnd}`,
  drift: r.drift ? `${(r.drift.driftedShare * 100).toFixed(0)}%${r.drift.drifted ? ' DRIFT' : ''}` : (r.driftError ?? '-'),
  accuracy: typeof r.quality?.accuracy === 'number' ? r.quality.accuracy.toFixed(3) : '-',
  estimated: estimatedCell(r),
  fairness: fairnessCell((r as { fairness?: unknown }).fairness),
  ...valueCells(r.value),
  detectors: detectorsCell(r),
  alert: r.alert.join('; ') || '-',
});

/** A window's headline label-free estimate in a cell: accuracy (classifiers) or MAE (regressions), ± its sampling error. */
function estimatedCell(r: MonitorResult): string {
  const e = r.estimated;
  if (!e) return '-';
  if (e.error) return e.error;
  const [name, m] = e.metrics?.accuracy ? ['accuracy', e.metrics.accuracy] : ['mae', e.metrics?.mae];
  return m && m.value !== null ? `${name} ${m.value.toFixed(3)} ± ${(m.samplingError ?? 0).toFixed(3)} (${e.method})` : '-';
}

/** A window's detector detections in a cell: each detector that fired and the first row. */
const detectorsCell = (r: MonitorResult) =>
  (r.detectors ?? [])
    .filter((d) => d.detections.length > 0)
    .map((d) => `${d.detector} ${d.stream}${d.feature ? ` ${d.feature}` : ''} @${d.detections[0]!.row}`)
    .join(', ') || '-';

/** A window's fairness in a cell: demographic parity difference and the lowest disparate impact. */
function fairnessCell(f: unknown): string {
  if (!f || typeof f !== 'object') return '-';
  if ('error' in f) return String((f as { error: string }).error);
  const r = f as { demographicParityDifference: number; disparateImpact: Record<string, number | null> };
  const di = Object.values(r.disparateImpact).filter((v): v is number => v !== null);
  return `dp ${r.demographicParityDifference.toFixed(3)}, di ${di.length ? Math.min(...di).toFixed(3) : '-'}`;
}

// Small amounts (compute cost per 1,000 predictions is often a fraction of a cent) keep three significant digits.
const money = (v: number | null | undefined) => (typeof v !== 'number' ? '-' : Math.abs(v) >= 1 || v === 0 ? v.toFixed(2) : v.toPrecision(3));

/** A window's business value in cells: measured and estimated per 1,000 predictions, compute cost per 1,000. */
function valueCells(v: MonitorResult['value']): Record<string, string> {
  if (!v) return { 'value/1k': '-', 'estimate/1k': '-', 'cost/1k': '-' };
  const e = v.estimated;
  return {
    'value/1k': v.measured ? `${money(v.measured.per1000)} (${v.measured.rows} labelled)` : '-',
    'estimate/1k': e ? `${money(e.per1000)} [${money(e.low)}, ${money(e.high)}] ${e.method}` : '-',
    'cost/1k': v.compute.costPer1000 !== null ? money(v.compute.costPer1000) : v.compute.cpuSecondsPer1000 !== null ? `${v.compute.cpuSecondsPer1000.toFixed(3)} CPU s` : '-',
  };
}

/** `--detector adwin:error`, `page_hinkley:score`, `kswin:feature:age` as a detector rule. */
function detectorFlag(v: string): DetectorRule {
  const [detector, stream, ...feature] = v.split(':');
  const parsed = DetectorRule.safeParse({ detector, stream, ...(feature.length ? { feature: feature.join(':') } : {}) });
  if (!parsed.success) throw new CliError(`--detector ${v}: ${parsed.error.issues.map((i) => i.message).join('; ')} (expected DETECTOR:STREAM[:FEATURE], e.g. adwin:error or kswin:feature:age)`);
  return parsed.data;
}

const every = (m: Monitor) => (m.windowRows !== null ? `${m.windowRows} requests` : `${m.windowSeconds} s`);

export function registerMonitorCommands(program: Command): void {
  const monitor = program.command('monitor').description('watch deployments: drift and quality per window');

  withJson(monitor.command('create <deployment>'))
    .description('evaluate drift against the reference and quality every window')
    .option('--window <seconds>', 'window length', '3600')
    .option('--window-rows <n>', 'count windows instead: one every N requests')
    .option('--drift-share <share>', 'dataset drift when this share of features drifts', '0.5')
    .option('--min-accuracy <value>', 'alert below this accuracy (measured, and estimated without labels)')
    .option('--max-rmse <value>', 'alert above this RMSE (measured, and estimated without labels)')
    .option('--multivariate <methods>', 'multivariate drift per window: reconstruction (NannyML data reconstruction) or both (with the gbt domain classifier)')
    .option('--min-roc-auc <value>', 'classifiers: alert when the label-free ROC AUC estimate (CBPE) falls below this')
    .option('--min-f1 <value>', 'classifiers: alert when the label-free F1 estimate (CBPE) falls below this')
    .option('--max-mae <value>', 'regressions: alert when the label-free MAE estimate (DLE) exceeds this')
    .option('--sensitive <feature>', 'fairness of each window’s labelled predictions by this logged feature')
    .option('--privileged <value>', 'with --sensitive: the group disparate impact compares with')
    .option('--max-dp-difference <value>', 'with --sensitive: alert above this demographic parity difference')
    .option('--min-disparate-impact <value>', 'with --sensitive: alert when a group’s disparate impact falls below this')
    .option('--min-value <value>', 'alert (rule value) when the business value per 1,000 predictions falls below this; the estimate fires before labels arrive (sextant kpi set)')
    .option(
      '--detector <detector:stream[:feature]>',
      'run a streaming change detector (adwin, ddm, eddm, page_hinkley, kswin) on the error stream, the prediction score or a feature, e.g. adwin:error, kswin:feature:age; repeatable',
      (v: string, prev: DetectorRule[] = []) => [...prev, detectorFlag(v)],
    )
    .action(async (deployment: string, o) => {
      const num = (flag: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        if (!Number.isFinite(Number(v))) throw new CliError(`${flag} ${v}: expected a number`);
        return Number(v);
      };
      if (!o.sensitive && (o.privileged || o.maxDpDifference || o.minDisparateImpact)) throw new CliError('--privileged, --max-dp-difference and --min-disparate-impact need --sensitive');
      const m = await client().monitors.create({
        deployment,
        windowSeconds: positiveInt('--window', o.window),
        windowRows: o.windowRows === undefined ? undefined : positiveInt('--window-rows', o.windowRows),
        thresholds: {
          driftShare: Number(o.driftShare),
          minAccuracy: o.minAccuracy === undefined ? undefined : Number(o.minAccuracy),
          maxRmse: o.maxRmse === undefined ? undefined : Number(o.maxRmse),
          sensitive: o.sensitive,
          privileged: o.privileged,
          maxDpDifference: num('--max-dp-difference', o.maxDpDifference),
          minDisparateImpact: num('--min-disparate-impact', o.minDisparateImpact),
          minValue: num('--min-value', o.minValue),
          detectors: o.detector,
          multivariate: o.multivariate,
          minRocAuc: num('--min-roc-auc', o.minRocAuc),
          minF1: num('--min-f1', o.minF1),
          maxMae: num('--max-mae', o.maxMae),
        },
      });
      if (o.json) printJson(m);
      else process.stdout.write(`monitoring ${m.deployment} every ${every(m)}\n`);
    });

  withJson(monitor.command('status <deployment>'))
    .description('the monitor and its latest window')
    .action(async (deployment: string, o) => {
      const api = client();
      const [m, results] = await Promise.all([api.monitors.get(deployment), api.monitors.results(deployment)]);
      if (o.json) return printJson({ monitor: m, latest: results[0] ?? null });
      printFields({ deployment: m.deployment, every: every(m), thresholds: m.thresholds, ...(results[0] ? row(results[0]) : { latest: 'no window closed yet' }) });
    });

  withJson(monitor.command('results <deployment>'))
    .description('results per window, newest first')
    .action(async (deployment: string, o) => {
      const results = await client().monitors.results(deployment);
      if (o.json) return printJson({ results });
      const valued = results.some((r) => r.value) ? ['value/1k', 'estimate/1k', 'cost/1k'] : [];
      printTable(results.map(row), ['window', 'drift', 'accuracy', ...(results.some((r) => r.estimated) ? ['estimated'] : []), ...(results.some((r) => 'fairness' in r) ? ['fairness'] : []), ...(results.some((r) => r.detectors) ? ['detectors'] : []), ...valued, 'alert']);
    });
}

export function registerAlertCommands(program: Command): void {
  const alerts = program.command('alerts').description('alerts raised by monitors');
  withJson(alerts.command('list'))
    .description('alerts, newest first')
    .option('--status <status>', 'open | acked | resolved')
    .option('--deployment <name>')
    .action(async (o) => {
      const list = await client().alerts.list({ status: o.status, deployment: o.deployment });
      if (o.json) return printJson({ alerts: list });
      printTable(
        list.map((a) => ({ id: a.id, deployment: a.deployment, rule: a.rule, status: a.status, windows: a.windows, since: a.firstWindowEnd, message: a.message })),
        ['id', 'deployment', 'rule', 'status', 'windows', 'since', 'message'],
      );
    });
  withJson(alerts.command('ack <id>'))
    .description('acknowledge an alert')
    .action(async (id: string, o) => {
      const a = await client().alerts.ack(id);
      if (o.json) printJson(a);
      else process.stdout.write(`acknowledged ${a.id} (${a.deployment} ${a.rule})\n`);
    });
}
