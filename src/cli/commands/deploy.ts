import type { Command } from 'commander';
import type { CreateDeploymentRequest, Deployment } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client, collectList, positiveInt } from '../context.js';
import { printFields, printIfRequested, printJson, printTable, withJson } from '../output.js';

/** Parses `3` or `3:40` (version, weight). */
function weighted(values: string[]): { version: number; weight: number }[] | undefined {
  if (values.length === 0) return undefined;
  return values.map((v) => {
    const [version, weight] = v.split(':');
    return { version: positiveInt('--version', version ?? ''), weight: weight === undefined ? 100 / values.length : Number(weight) };
  });
}

function show(d: Deployment): void {
  printFields({
    name: d.name,
    model: d.model,
    follows: d.alias ? `${d.model}@${d.alias}` : 'pinned versions',
    routes: d.routes.map((r) => `${r.version} ${r.weight.toFixed(1)}% (${r.role})`).join(', ') || '(no traffic)',
    shadow: d.shadow.join(', ') || '-',
    batching: d.batching ? `max ${d.batching.maxBatchSize} rows / ${d.batching.maxLatencyMs} ms` : 'off',
    slo: d.slo ? JSON.stringify(d.slo) : '-',
    logging: `${d.logging.sampleRate * 100}% of requests${d.logging.redact.length ? `, redacting ${d.logging.redact.join(', ')}` : ''}`,
    lastEvent: d.lastEvent ? `${d.lastEvent.time} ${d.lastEvent.action}${d.lastEvent.reason ? `: ${d.lastEvent.reason}` : ''}` : '-',
    updated: d.updatedAt,
  });
}

const out = (o: { json?: boolean }) => (d: Deployment) => (o.json ? printJson(d) : show(d));

function sloOf(o: Record<string, string | undefined>): CreateDeploymentRequest['slo'] {
  if (o.p99Ms === undefined && o.maxErrorRate === undefined) return undefined;
  return {
    p99LatencyMs: o.p99Ms === undefined ? undefined : Number(o.p99Ms),
    maxErrorRate: o.maxErrorRate === undefined ? undefined : Number(o.maxErrorRate),
    windowSeconds: o.sloWindow === undefined ? undefined : Number(o.sloWindow),
    minRequests: o.sloMinRequests === undefined ? undefined : Number(o.sloMinRequests),
  };
}

export function registerDeployCommands(program: Command): void {
  const deploy = program.command('deploy').description('serve model versions behind named endpoints');

  withJson(deploy.command('create <name>'))
    .description('create a deployment following an alias (--alias) or pinning versions (--version N[:WEIGHT], repeatable)')
    .requiredOption('--model <model>', 'registered model')
    .option('--alias <alias>', 'follow this alias; moving it hot-swaps the deployment')
    .option('--version <n[:weight]>', 'pin a version with a weight, repeatable', collectList, [])
    .option('--shadow <version>', 'send a copy of each request to this version, repeatable', collectList, [])
    .option('--max-batch-size <n>', 'turn on adaptive batching')
    .option('--max-latency-ms <ms>', 'longest a request waits for its batch', '2')
    .option('--p99-ms <ms>', 'SLO: canary p99 latency limit')
    .option('--max-error-rate <rate>', 'SLO: canary error-rate limit (0..1)')
    .option('--slo-window <seconds>', 'SLO window', '60')
    .option('--slo-min-requests <n>', 'requests needed before the SLO is judged', '50')
    .option('--sticky-header <header>', 'route by this request header consistently')
    .option('--log-sample-rate <rate>', 'share of requests written to the prediction log (0..1)', '1')
    .option('--redact <feature>', 'store this feature as "[redacted]" in the log, repeatable', collectList, [])
    .action(async (name: string, o) => {
      if (!o.alias && o.version.length === 0) throw new CliError('give --alias ALIAS or --version N[:WEIGHT]');
      const d = await client().deployments.create({
        name,
        model: o.model,
        alias: o.alias,
        versions: weighted(o.version),
        shadow: (o.shadow as string[]).map((v) => positiveInt('--shadow', v)),
        batching: o.maxBatchSize ? { maxBatchSize: positiveInt('--max-batch-size', o.maxBatchSize), maxLatencyMs: Number(o.maxLatencyMs) } : undefined,
        slo: sloOf(o),
        stickyHeader: o.stickyHeader,
        logging: { sampleRate: Number(o.logSampleRate), redact: o.redact },
      });
      out(o)(d);
    });

  withJson(deploy.command('list'))
    .description('list deployments')
    .action(async (o) => {
      const list = await client().deployments.list();
      if (o.json) return printJson({ deployments: list });
      printTable(
        list.map((d) => ({ name: d.name, model: d.model, follows: d.alias ?? 'pinned', routes: d.routes.map((r) => `${r.version}:${r.weight.toFixed(0)}%`).join(' '), shadow: d.shadow.join(',') })),
        ['name', 'model', 'follows', 'routes', 'shadow'],
      );
    });

  for (const verb of ['status', 'show']) {
    withJson(deploy.command(`${verb} <name>`))
      .description('traffic split, shadows, SLO and the last event (e.g. an SLO rollback)')
      .action(async (name: string, o) => out(o)(await client().deployments.get(name)));
  }

  withJson(deploy.command('update <name>'))
    .description('switch to an alias or pinned versions, change shadows or batching')
    .option('--alias <alias>')
    .option('--version <n[:weight]>', 'repeatable', collectList, [])
    .option('--shadow <version>', 'repeatable; --no-shadow clears', collectList, [])
    .option('--no-shadow', 'remove all shadows')
    .option('--max-batch-size <n>')
    .option('--max-latency-ms <ms>', 'batching wait', '2')
    .option('--no-batching', 'turn batching off')
    .action(async (name: string, o) => {
      const shadow = o.shadow === false ? [] : (o.shadow as string[]).length ? (o.shadow as string[]).map((v) => positiveInt('--shadow', v)) : undefined;
      const batching = o.batching === false ? null : o.maxBatchSize ? { maxBatchSize: positiveInt('--max-batch-size', o.maxBatchSize), maxLatencyMs: Number(o.maxLatencyMs) } : undefined;
      out(o)(await client().deployments.update(name, { alias: o.alias, versions: weighted(o.version), shadow, batching }));
    });

  withJson(deploy.command('canary <name>'))
    .description('send WEIGHT percent of traffic to VERSION')
    .requiredOption('--version <n>', 'canary version')
    .requiredOption('--weight <percent>', '0..100')
    .option('--reason <text>')
    .action(async (name: string, o) => out(o)(await client().deployments.canary(name, { version: positiveInt('--version', o.version), weight: Number(o.weight), reason: o.reason })));

  withJson(deploy.command('promote <name>'))
    .description('make the canary the primary (moves the followed alias; a protected alias makes an approval request)')
    .option('--reason <text>')
    .action(async (name: string, o) => {
      const d = await client().deployments.promote(name, o.reason);
      if (!printIfRequested(d, o.json) && !('approval' in d)) out(o)(d);
    });

  withJson(deploy.command('abort <name>'))
    .description('remove the canary')
    .option('--reason <text>')
    .action(async (name: string, o) => out(o)(await client().deployments.abort(name, o.reason)));

  deploy
    .command('delete <name>')
    .description('delete a deployment')
    .option('--reason <text>')
    .action(async (name: string, o) => {
      await client().deployments.delete(name, o.reason);
      process.stdout.write(`deleted deployment ${name}\n`);
    });
}
