import type { Command } from 'commander';
import type { Job, PolicyInput } from '../../contracts/index.js';
import type { SextantClient } from '../../sdk/index.js';
import { sleep } from '../../shared/wait-for.js';
import { CliError } from '../cli-error.js';
import { client, collectList, positiveInt, readJsonFlag } from '../context.js';
import { printFields, printJson, printTable, withJson } from '../output.js';

const jobRow = (j: Job) => ({
  id: j.id,
  kind: j.kind,
  model: j.model ?? '-',
  status: j.status,
  trigger: j.trigger.type,
  attempts: `${j.attempts}/${j.maxAttempts}`,
  created: j.createdAt,
  result: j.error ?? (j.result ? summary(j) : '-'),
});

function summary(j: Job): string {
  const r = j.result as { version?: number; gate?: { passed: boolean }; promotion?: { summary?: string } | null } | null;
  if (!r) return '-';
  return `version ${r.version ?? '?'}; gate ${r.gate?.passed ? 'passed' : 'failed'}${r.promotion?.summary ? `; ${r.promotion.summary}` : ''}`;
}

/** Prints a job's log lines as they arrive until it ends; returns the final job. */
export async function followJob(api: SextantClient, id: string, write: (line: string) => void, pollMs = 500): Promise<Job> {
  let after = 0;
  for (;;) {
    const logs = await api.jobs.logs(id, after);
    for (const l of logs.lines) write(`${l.time}  ${l.line}\n`);
    after = logs.next;
    if (['succeeded', 'failed', 'cancelled'].includes(logs.status)) {
      const rest = await api.jobs.logs(id, after);
      for (const l of rest.lines) write(`${l.time}  ${l.line}\n`);
      return api.jobs.get(id);
    }
    await sleep(pollMs);
  }
}

/** `metric:key=value,key=value` → { metric: { key: value } } (a repeatable gate flag). */
function collectGate(value: string, previous: Record<string, Record<string, number | boolean>> = {}) {
  const m = /^([a-z0-9_]+):(.+)$/.exec(value);
  if (!m) throw new CliError(`--gate ${value}: expected METRIC:KEY=VALUE[,KEY=VALUE] (keys threshold, minAbsoluteChange, minRelativeChange, greaterIsBetter)`);
  const criteria: Record<string, number | boolean> = {};
  for (const part of m[2]!.split(',')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined) throw new CliError(`--gate ${value}: "${part}" is not KEY=VALUE`);
    criteria[k] = v === 'true' ? true : v === 'false' ? false : Number(v);
    if (typeof criteria[k] === 'number' && !Number.isFinite(criteria[k])) throw new CliError(`--gate ${value}: ${k} needs a number`);
  }
  return { ...previous, [m[1]!]: criteria };
}

function collectParam(value: string, previous: Record<string, number | string | boolean> = {}) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`--param ${value}: expected KEY=VALUE`);
  const v = value.slice(eq + 1);
  return { ...previous, [value.slice(0, eq)]: v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v };
}

export function registerRetrainCommands(program: Command): void {
  withJson(program.command('retrain <model>'))
    .description('retrain a model now: train a challenger, validate it against the champion, promote it by policy')
    .option('--reason <text>')
    .option('--trainer <type>', 'logistic | ridge | gbt (overrides the policy for this run)')
    .option('--strategy <strategy>', 'manual | canary | shadow-then-canary (overrides the policy for this run)')
    .option('--wait', 'follow the job log until it ends; exit 1 if it fails')
    .action(async (model: string, o) => {
      const api = client();
      const job = await api.retraining.retrain(model, {
        reason: o.reason,
        trainer: o.trainer ? { type: o.trainer, params: {} } : undefined,
        promotion: o.strategy,
      });
      if (!o.wait) {
        if (o.json) printJson(job);
        else process.stdout.write(`queued job ${job.id} (retrain ${model}); follow it with: sextant jobs logs ${job.id} --follow\n`);
        return;
      }
      const done = await followJob(api, job.id, (l) => (o.json ? undefined : process.stdout.write(l)));
      if (o.json) printJson(done);
      else process.stdout.write(`job ${done.id} ${done.status}${done.error ? `: ${done.error}` : ''}${done.result ? ` — ${summary(done)}` : ''}\n`);
      if (done.status !== 'succeeded') process.exitCode = 1;
    });

  const policy = program.command('policy').description('retraining policies: triggers, trainer, data, gate, promotion');
  withJson(policy.command('set <model>'))
    .description('replace the retraining policy of a model (from --file, flags override)')
    .option('--file <policy.json>', 'the whole policy as JSON')
    .option('--trainer <type>', 'logistic | ridge | gbt | command')
    .option('--param <k=v>', 'trainer parameter (repeatable)', collectParam)
    .option('--command <arg>', 'external trainer argv, one flag per argument (repeatable)', collectList)
    .option('--target <column>', 'label column of the reference data')
    .option('--no-drift', 'do not retrain on drift alerts')
    .option('--no-quality', 'do not retrain on quality alerts')
    .option('--schedule <cron>', 'also retrain on this schedule (five fields, UTC)')
    .option('--new-labels <n>', 'also retrain after this many new labels')
    .option('--cooldown <seconds>', 'least time between two retrains')
    .option('--gate <metric:k=v,...>', 'gate criterion, e.g. accuracy:minAbsoluteChange=0.01 (repeatable)', collectGate)
    .option('--strategy <strategy>', 'manual | canary | shadow-then-canary')
    .option('--steps <weights>', 'canary weights, e.g. 10,50,100')
    .option('--step-seconds <seconds>', 'time per canary step')
    .option('--disable', 'keep the policy but fire no trigger')
    .action(async (model: string, o) => {
      const spec = ((readJsonFlag('--file', o.file) as PolicyInput | undefined) ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (o.trainer || o.param || o.command) spec.trainer = { ...(spec.trainer ?? {}), ...(o.trainer ? { type: o.trainer } : {}), ...(o.param ? { params: o.param } : {}), ...(o.command ? { command: o.command } : {}) };
      if (o.target) spec.target = o.target;
      const triggers = { ...(spec.triggers ?? {}) };
      if (o.drift === false) triggers.drift = false;
      if (o.quality === false) triggers.quality = false;
      if (o.schedule) triggers.schedule = o.schedule;
      if (o.newLabels) triggers.newLabels = positiveInt('--new-labels', o.newLabels);
      spec.triggers = triggers;
      if (o.cooldown !== undefined) spec.cooldownSeconds = Number(o.cooldown);
      if (o.gate) spec.gate = { ...(spec.gate ?? {}), metrics: { ...(spec.gate?.metrics ?? {}), ...o.gate } };
      if (o.strategy || o.steps || o.stepSeconds) {
        spec.promotion = { ...(spec.promotion ?? {}) };
        if (o.strategy) spec.promotion.strategy = o.strategy;
        if (o.steps) spec.promotion.steps = String(o.steps).split(',').map(Number);
        if (o.stepSeconds !== undefined) spec.promotion.stepSeconds = Number(o.stepSeconds);
      }
      if (o.disable) spec.enabled = false;
      const p = await client().retraining.setPolicy(model, spec as PolicyInput);
      if (o.json) printJson(p);
      else process.stdout.write(`retraining policy of ${model} set: ${describe(p.spec)}\n`);
    });
  withJson(policy.command('show <model>'))
    .description('the retraining policy of a model')
    .action(async (model: string, o) => {
      const p = await client().retraining.getPolicy(model);
      if (o.json) return printJson(p);
      printFields({ model: p.model, summary: describe(p.spec), trainer: p.spec.trainer, gate: p.spec.gate, promotion: p.spec.promotion, data: p.spec.data, updated: `${p.updatedAt} by ${p.updatedBy}` });
    });

  const jobs = program.command('jobs').description('jobs: retrains and their logs');
  withJson(jobs.command('list'))
    .description('jobs, newest first')
    .option('--model <name>')
    .option('--status <status>', 'queued | running | succeeded | failed | cancelled')
    .action(async (o) => {
      const list = await client().jobs.list({ model: o.model, status: o.status });
      if (o.json) return printJson({ jobs: list });
      printTable(list.map(jobRow), ['id', 'kind', 'model', 'status', 'trigger', 'attempts', 'created', 'result']);
    });
  withJson(jobs.command('show <id>'))
    .description('one job')
    .action(async (id: string, o) => {
      const j = await client().jobs.get(id);
      if (o.json) return printJson(j);
      printFields({ ...jobRow(j), trigger: `${j.trigger.type}${j.trigger.detail ? `: ${j.trigger.detail}` : ''}`, started: j.startedAt ?? '-', finished: j.finishedAt ?? '-' });
    });
  jobs
    .command('logs <id>')
    .description('the log of a job')
    .option('--follow', 'keep printing new lines until the job ends')
    .action(async (id: string, o) => {
      const api = client();
      if (o.follow) {
        await followJob(api, id, (l) => process.stdout.write(l));
        return;
      }
      const logs = await api.jobs.logs(id);
      for (const l of logs.lines) process.stdout.write(`${l.time}  ${l.line}\n`);
    });
  withJson(jobs.command('cancel <id>'))
    .description('cancel a job (a running one stops at its next heartbeat)')
    .action(async (id: string, o) => {
      const j = await client().jobs.cancel(id);
      if (o.json) printJson(j);
      else process.stdout.write(j.status === 'cancelled' ? `cancelled ${j.id}\n` : `cancel requested for ${j.id} (running)\n`);
    });
}

function describe(s: { enabled: boolean; triggers: { drift: boolean; quality: boolean; schedule: string | null; newLabels: number | null }; trainer: { type: string }; promotion: { strategy: string; steps: number[] }; cooldownSeconds: number }): string {
  const t = [s.triggers.drift && 'drift', s.triggers.quality && 'quality', s.triggers.schedule && `schedule ${s.triggers.schedule}`, s.triggers.newLabels && `${s.triggers.newLabels} new labels`].filter(Boolean);
  return `${s.enabled ? '' : '(disabled) '}on ${t.join(', ') || 'nothing'} → ${s.trainer.type} → gate → ${s.promotion.strategy}${s.promotion.strategy === 'manual' ? '' : ` ${s.promotion.steps.join('→')}`}; cooldown ${s.cooldownSeconds} s`;
}
