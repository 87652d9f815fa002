import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Task } from '../contracts/common.js';
import { type Job, type PolicySpec, RetrainRequest, TrainerSpec, type ValidationResult } from '../contracts/pipelines.js';
import type { ModelVersion, Signature } from '../contracts/versions.js';
import type { Actor } from '../shared/actor.js';
import type { PredictionStore, ReferenceService } from '../monitoring/index.js';
import type { Registry } from '../registry/index.js';
import { loadPredictor, type LoadOptions, type Predictor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { parseInput } from '../shared/parse.js';
import { readAll } from '../shared/read-all.js';
import type { BlobStore } from '../artifacts/index.js';
import type { DB, Writes } from '../storage/index.js';
import { isUniqueViolation } from '../storage/index.js';
import { evaluate } from './evaluate.js';
import { checkMetric, defaultGate } from './gate.js';
import type { JobQueue } from './job-queue.js';
import type { JobContext } from './job-worker.js';
import type { PolicyService } from './policy-service.js';
import type { PromotionService } from './promotion-service.js';
import { runCommandTrainer, trainGbt, trainLogistic, trainRidge, type TrainedModel } from './trainers/index.js';
import { dedupe, type Example, examplesFromRows, splitHoldout, toCsv, toTrainingData } from './training-set.js';

export const RETRAIN = 'retrain';
export const SYSTEM_ACTOR = 'sextant:retraining';

export interface RetrainDeps {
  db: Kysely<DB>;
  registry: Registry;
  blobs: BlobStore;
  references: ReferenceService;
  /** The prediction log: labelled predictions join the training data. */
  log: PredictionStore;
  policies: PolicyService;
  promotions: PromotionService;
  queue: JobQueue;
  writes: Writes;
  clock: Clock;
  workDir: string;
  trainerEnv: Readonly<Record<string, string>>;
  /** How predictors are loaded: a `remote` champion calls out through the server's outbound guard. */
  loadOptions?: LoadOptions;
}

/**
 * Retraining as a job: gather the champion's reference data and recent labelled predictions, train
 * a challenger, validate it against the champion on the same holdout, register it with its lineage
 * and gate result, and hand a passing challenger to the promotion strategy.
 */
export class RetrainService {
  constructor(private readonly d: RetrainDeps) {}

  /** Queues a retrain of `model` (manual, or from a trigger); refused while one is in flight. */
  async request(model: string, input: unknown, by: Actor, trigger: Job['trigger'] = { type: 'manual', detail: null }): Promise<Job> {
    const permission = { role: 'deployer', model } as const;
    await this.d.writes.authorize(by, permission);
    const req = parseInput(RetrainRequest, input ?? {});
    const policy = await this.d.policies.effective(model);
    try {
      return await this.d.writes.run({
        by,
        permission,
        apply: async (tx) => {
          const job = await this.d.queue.enqueue(
            {
              kind: RETRAIN,
              model,
              params: { ...req },
              trigger: { type: trigger.type, detail: trigger.detail ?? req.reason ?? null },
              createdBy: by.actor,
              timeoutSeconds: policy.timeoutSeconds,
            },
            tx.db,
          );
          tx.emit({ type: 'retrain.queued', subject: model, data: { job: job.id, trigger: job.trigger, by: by.actor } });
          return job;
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw await this.d.queue.busy(RETRAIN, model);
      throw err;
    }
  }

  /** Gate results stored for a version. */
  async validation(model: string, version: number): Promise<ValidationResult> {
    const r = await this.d.db.selectFrom('version_validations').selectAll().where('model', '=', model).where('version', '=', version).executeTakeFirst();
    if (!r) {
      await this.d.registry.versions.get(model, version);
      throw new AppError('not_found', `version ${version} of ${model} has no validation result (only retrained versions are validated)`);
    }
    return JSON.parse(r.result) as ValidationResult;
  }

  private async champion(model: string, alias: string): Promise<ModelVersion | null> {
    try {
      return await this.d.registry.versions.get(model, alias);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'not_found') throw err;
    }
    try {
      return await this.d.registry.versions.get(model, 'latest');
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /** Labelled primary predictions of the model's deployments since `since`, one example per row. */
  private async labelled(model: string, since: string, limit: number): Promise<Example[]> {
    const rows = await this.d.log.newestLabelled({ model, since, role: 'primary' }, limit, { labelledOnly: true, accept: (r) => r.error === null && r.rows > 0 });
    const out: Example[] = [];
    for (const r of rows.reverse()) {
      const inputs = r.record.inputs();
      if (!inputs) continue;
      const label = JSON.parse(r.label!) as unknown;
      const labels = inputs.rows.length === 1 && !Array.isArray(label) ? [label] : Array.isArray(label) ? label : [];
      inputs.rows.forEach((row, i) => {
        const l = labels[i];
        if (l === undefined || l === null || (typeof l === 'object' && l !== null)) return;
        out.push({ values: Object.fromEntries(inputs.features.map((f, j) => [f, row[j]])), label: typeof l === 'boolean' ? Number(l) : (l as number | string) });
      });
    }
    return out;
  }

  private async train(policy: PolicySpec, task: Task, data: ReturnType<typeof toTrainingData>, examples: Example[], dir: string, ctx: JobContext): Promise<TrainedModel> {
    const t = policy.trainer;
    const num = (k: string) => (typeof t.params[k] === 'number' ? (t.params[k] as number) : undefined);
    switch (t.type) {
      case 'logistic':
        if (task === 'regression') throw new AppError('invalid_argument', 'the logistic trainer is for classification models');
        return trainLogistic(data, { C: num('C'), maxIter: num('maxIter') });
      case 'ridge':
        if (task !== 'regression') throw new AppError('invalid_argument', 'the ridge trainer is for regression models');
        return trainRidge(data, { alpha: num('alpha') });
      case 'gbt':
        if (task === 'multiclass-classification') throw new AppError('invalid_argument', 'the gbt trainer supports binary classification and regression');
        return trainGbt(data, task, {
          nEstimators: num('nEstimators'),
          learningRate: num('learningRate'),
          maxDepth: num('maxDepth'),
          lambda: num('lambda'),
          minChildWeight: num('minChildWeight'),
          maxBins: num('maxBins'),
        });
      case 'command': {
        const dataPath = path.join(dir, 'train.csv');
        await writeFile(dataPath, toCsv(examples, data.features, policy.target));
        const outputDir = path.join(dir, 'output');
        await mkdir(outputDir);
        return runCommandTrainer({
          command: t.command!,
          dataPath,
          outputDir,
          env: this.d.trainerEnv,
          extraEnv: { SEXTANT_TARGET: policy.target, SEXTANT_FEATURES: data.features.join(','), SEXTANT_TASK: task, SEXTANT_PARAMS: JSON.stringify(t.params) },
          format: t.format,
          log: ctx.log,
          signal: ctx.signal,
        });
      }
    }
  }

  /** The job handler. */
  async run(job: Job, ctx: JobContext): Promise<Record<string, unknown>> {
    const model = job.model!;
    const req = RetrainRequest.parse(job.params);
    const base = await this.d.policies.effective(model);
    const policy: PolicySpec = {
      ...base,
      trainer: req.trainer ? TrainerSpec.parse(req.trainer) : base.trainer,
      promotion: req.promotion ? { ...base.promotion, strategy: req.promotion } : base.promotion,
    };
    const m = await this.d.registry.models.get(model);
    const champion = await this.champion(model, policy.promotion.alias);
    ctx.log(`retraining ${model} (${m.task}); champion ${champion ? `version ${champion.version}` : 'none'}; trainer ${policy.trainer.type}`);
    // Data: the champion's reference (if it has the target) and recent labelled traffic.
    const refRows = champion && policy.data.includeReference ? await this.d.references.rows(model, champion.version) : null;
    const reference = refRows ? examplesFromRows(refRows, policy.target) : [];
    if (refRows && reference.length === 0) ctx.log(`reference data of version ${champion!.version} has no "${policy.target}" column with labels; using labelled predictions only`);
    const since = new Date(this.d.clock.now().getTime() - policy.data.windowSeconds * 1000).toISOString();
    const recent = await this.labelled(model, since, policy.data.maxRows);
    const features =
      champion?.signature?.inputs.map((i) => i.name) ?? (refRows?.[0] ? Object.keys(refRows[0]).filter((k) => k !== policy.target) : recent[0] ? Object.keys(recent[0].values) : []);
    if (features.length === 0) throw new AppError('invalid_argument', `no features known for ${model}: the champion has no signature and there is no data`);
    const older = dedupe(reference, features);
    const fresh = dedupe(recent, features);
    const all = older.length + fresh.length;
    ctx.log(`data: ${older.length} reference rows + ${fresh.length} labelled predictions since ${since} (deduplicated)`);
    if (all < 10) throw new AppError('invalid_argument', `only ${all} labelled rows for ${model}: too few to train (need 10)`);
    const capped = older.length + fresh.length > policy.data.maxRows ? older.slice(Math.max(0, older.length + fresh.length - policy.data.maxRows)) : older;
    const split = splitHoldout(capped, fresh, policy.data.holdoutFraction, policy.data.seed);
    const train = toTrainingData(split.train, features, 'training data');
    const holdout = toTrainingData(split.holdout, features, 'holdout');
    const csv = toCsv(split.train, features, policy.target);
    const dataDigest = createHash('sha256').update(csv).digest('hex');
    ctx.log(`training on ${train.rows} rows, holding out ${holdout.rows}; training data sha256:${dataDigest}`);
    const dir = await mkdtemp(path.join(await this.workDirReady(), `${job.id}-`));
    try {
      const started = Date.now();
      const trained = await this.train(policy, m.task, train, split.train, dir, ctx);
      ctx.log(`trained in ${((Date.now() - started) / 1000).toFixed(2)} s (${trained.format}, ${trained.artifact.byteLength} bytes)`);
      let challenger: Predictor;
      try {
        challenger = await loadPredictor(trained.format, trained.artifact, trained.format === 'onnx' ? null : (champion?.signature ?? null), this.d.loadOptions);
      } catch (err) {
        throw new AppError('invalid_argument', `the trained model failed to load: ${(err as Error).message}`);
      }
      const gate = await this.validate(model, m.task, policy, challenger, champion, holdout);
      await challenger.release();
      for (const c of gate.checks) ctx.log(`gate ${c.passed ? 'pass' : 'FAIL'}: ${c.reason}`);
      for (const c of gate.dataChecks) ctx.log(`gate ${c.passed ? 'pass' : 'FAIL'}: ${c.reason}`);
      const signature: Signature | undefined =
        trained.format === 'onnx' ? undefined : { inputs: champion?.signature?.inputs ?? features.map((name) => ({ name, type: 'double' as const })), outputs: challenger.outputs.map((o) => ({ name: o.name, type: o.datatype === 'BYTES' ? ('string' as const) : ('double' as const) })) };
      const metrics = Object.fromEntries(Object.entries(gate.challengerMetrics).filter((e): e is [string, number] => typeof e[1] === 'number'));
      const registered = await this.d.registry.versions.register(
        model,
        Readable.from([Buffer.from(trained.artifact)]),
        {
          format: trained.format,
          signature,
          params: Object.fromEntries(Object.entries({ trainer: policy.trainer.type, ...trained.params }).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])),
          metrics: { ...metrics, ...Object.fromEntries(Object.entries(trained.metrics).map(([k, v]) => [`train_${k}`, v])), holdout_rows: holdout.rows, train_rows: train.rows },
          tags: { 'sextant.trigger': job.trigger.type, 'sextant.validation': gate.passed ? 'passed' : 'failed' },
          lineage: { dataDigest: `sha256:${dataDigest}`, parentVersion: champion?.version, jobId: job.id, codeRef: `sextant:trainer/${policy.trainer.type}` },
          description: `retrained by job ${job.id} (${job.trigger.type}${job.trigger.detail ? `: ${job.trigger.detail}` : ''})`,
        },
        { actor: SYSTEM_ACTOR },
      );
      ctx.log(`registered ${model} version ${registered.version}`);
      await this.d.references.upload(model, registered.version, csv, 'csv');
      const result = await this.d.writes.run({
        by: { actor: SYSTEM_ACTOR },
        permission: 'internal',
        apply: async (tx) => {
          const result: ValidationResult = {
            model,
            version: registered.version,
            champion: champion?.version ?? null,
            holdoutRows: holdout.rows,
            passed: gate.passed,
            checks: gate.checks,
            dataChecks: gate.dataChecks,
            jobId: job.id,
            createdAt: tx.now,
          };
          await tx.db.insertInto('version_validations').values({ model, version: registered.version, job_id: job.id, result: JSON.stringify(result), created_at: result.createdAt }).execute();
          tx.audit({ action: 'version.validate', target: `model:${model}/${registered.version}`, after: result, reason: gate.passed ? 'gate passed' : 'gate failed' });
          tx.emit({ type: 'retrain.validated', subject: model, data: { job: job.id, version: registered.version, passed: gate.passed, champion: result.champion } });
          return result;
        },
      });
      if (!gate.passed) {
        ctx.log(`not promoted: the gate failed; ${champion ? `version ${champion.version}` : 'the current version'} keeps serving`);
        return { version: registered.version, champion: result.champion, gate: { passed: false, checks: gate.checks, dataChecks: gate.dataChecks }, promotion: null };
      }
      const promotion = await this.d.promotions.begin({ model, version: registered.version, spec: policy.promotion, jobId: job.id });
      ctx.log(`promotion: ${promotion.summary}`);
      return { version: registered.version, champion: result.champion, gate: { passed: true, checks: gate.checks, dataChecks: gate.dataChecks }, promotion };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async workDirReady(): Promise<string> {
    await mkdir(this.d.workDir, { recursive: true });
    return this.d.workDir;
  }

  private async validate(model: string, task: Task, policy: PolicySpec, challenger: Predictor, champion: ModelVersion | null, holdout: ReturnType<typeof toTrainingData>) {
    const dataChecks: ValidationResult['dataChecks'] = [];
    const c = await evaluate(challenger, holdout, task);
    dataChecks.push({ check: 'predictions', passed: c.invalidPredictions === 0, reason: c.invalidPredictions === 0 ? `no invalid predictions on ${holdout.rows} holdout rows` : `${c.invalidPredictions} NaN or missing predictions on the holdout` });
    let championMetrics: Record<string, number | null> = {};
    if (champion) {
      const inputsBefore = (champion.signature?.inputs ?? []).map((i) => i.name).join(',');
      const inputsAfter = challenger.features.map((f) => f.name).join(',');
      const same = !champion.signature || [...champion.signature.inputs.map((i) => i.name)].sort().join(',') === [...challenger.features.map((f) => f.name)].sort().join(',');
      dataChecks.push({
        check: 'signature',
        passed: same || policy.gate.allowSignatureChange,
        reason: same ? 'signature unchanged' : `inputs changed from [${inputsBefore}] to [${inputsAfter}]${policy.gate.allowSignatureChange ? ' (allowed by policy)' : ''}`,
      });
      try {
        const predictor = await loadPredictor(champion.format, await readAll(await this.d.blobs.get(champion.digest)), champion.signature, this.d.loadOptions);
        championMetrics = (await evaluate(predictor, holdout, task)).metrics;
        await predictor.release();
      } catch (err) {
        dataChecks.push({ check: 'champion', passed: true, reason: `the champion could not be scored on the holdout (${(err as Error).message}); change criteria fail closed` });
      }
    }
    const spec = Object.keys(policy.gate.metrics).length ? policy.gate.metrics : defaultGate(task);
    const checks = Object.entries(spec).map(([metric, t]) => checkMetric(metric, t, c.metrics[metric] ?? null, championMetrics[metric] ?? null, champion !== null));
    return { passed: checks.every((x) => x.passed) && dataChecks.every((x) => x.passed), checks, dataChecks, challengerMetrics: c.metrics };
  }
}
