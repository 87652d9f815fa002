import { openBlobStore, S3BlobStore } from './artifacts/index.js';
import { Cluster, LEASES, nodeIdentity } from './cluster/index.js';
import type { Config } from './config/index.js';
import type { App, BuildOptions } from './app-types.js';
import type { CardFields } from './contracts/cards.js';
import { type EventBus, InProcessBus, NatsBus, OutboxRelay } from './events/index.js';
import {
  AccessControl,
  ApprovalService,
  AuditLog,
  AuditPackService,
  AuditSigner,
  CardService,
  cardSources,
  FairnessService,
  GrantService,
  PromotionRulesService,
  ProtectionService,
  TokenService,
  WritePath,
} from './governance/index.js';
import {
  AlertService,
  blobBodies,
  DEFAULT_EVALUATORS,
  detectorEvaluator,
  estimateEvaluator,
  multivariateEvaluator,
  fairnessEvaluator,
  valueEvaluator,
  FeedbackService,
  parseRows,
  PiiHasher,
  MonitorService,
  KpiService,
  NotificationService,
  PredictionLog,
  PredictionStore,
  QualityService,
  ReferenceService,
  SEGMENT_BOUNDS,
  tableLogWriter,
} from './monitoring/index.js';
import { gbtFitScore, gbtRegressor, JobQueue, JobWorker, PolicyService, PromotionService, RETRAIN, RetrainService, RetrainTriggers } from './pipelines/index.js';
import { createRegistry } from './registry/index.js';
import { MlflowRegistry } from './mlflow-registry/index.js';
import { checkRemoteArtifact, loadPredictor } from './runtime/index.js';
import { outboundGuard } from './shared/outbound-guard.js';
import { startTracing } from './shared/tracing-sdk.js';
import {
  binaryDecisions,
  DeploymentService,
  deploymentsFollowingAlias,
  deploymentsServingVersion,
  deploymentsOfModel,
  ExplainService,
  InferenceService,
  LiveDeployments,
  ModelCache,
  referenceBackgrounds,
  ServingMetrics,
  SloGuard,
  TrafficHistory,
  TrafficRecorder,
  CpuMeter,
  servingCpu,
} from './serving/index.js';
import { AppError } from './shared/app-error.js';
import { systemClock } from './shared/clock.js';
import { createLogger } from './shared/logger.js';
import path from 'node:path';
import { readAll } from './shared/read-all.js';
import { type ChangeFeed, listenForChanges, openDatabase, type Database, PredictionPartitions, prepareSchema } from './storage/index.js';

export type { App, BuildOptions, Serving } from './app-types.js';

/** Composition root: the only place that chooses adapters. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const endpoint = config.tracing.endpoint;
  const tracing = endpoint ? await startTracing({ ...config.tracing, endpoint }, logger) : null;
  let database: Database;
  try {
    database = openDatabase(config.database);
  } catch (err) {
    await tracing?.close();
    throw err;
  }
  try {
    if (options.migrate !== false) {
      const applied = await prepareSchema(database, { mode: config.cluster.migrate, logger });
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    }
    const db = database.db;
    const onHandlerError = (err: unknown, event: { type: string }) => logger.error({ err, event: event.type }, 'event subscriber failed');
    const events: EventBus = config.natsUrl ? await NatsBus.connect(config.natsUrl, { onHandlerError }) : new InProcessBus(onHandlerError);
    const blobs = openBlobStore(config.artifacts);
    const outbound = outboundGuard(config.outbound.allowedHosts);
    // A writer has a lease's time to live to publish its own events before a sweep does.
    const outbox = new OutboxRelay(db, events, clock, logger, { claimMs: config.cluster.leaseTtlMs });
    const writes = new WritePath(db, clock, new AccessControl(db), outbox);
    const grants = new GrantService(db, writes);
    const creatorRole = config.governance.creatorRole;
    const registry = createRegistry({
      db,
      writes,
      blobs,
      maxArtifactBytes: config.limits.artifactBytes,
      references: {
        deploymentsUsing: (name) => deploymentsOfModel(db, name),
        deploymentsFollowing: (name, alias) => deploymentsFollowingAlias(db, name, alias),
        deploymentsServingVersion: (name, version) => deploymentsServingVersion(db, name, version),
      },
      inspectArtifact: async (format, size, read) => (format === 'remote' ? checkRemoteArtifact(size, read, outbound) : undefined),
      // Only tokens can hold grants; a creator named by header (auth off) gets nothing.
      onModelCreated: async (tx, model) => {
        if (creatorRole && tx.by.actor.startsWith('token:')) await grants.setIn(tx, model, tx.by.actor, creatorRole);
      },
    });
    const metrics = new ServingMetrics();
    // Artifacts are verified against their digest while read (the blob store's stream fails otherwise).
    const cache = new ModelCache(async (v) => loadPredictor(v.format, await readAll(await blobs.get(v.digest)), v.signature, outbound), config.serving.modelCacheBytes, (m, err) =>
      logger.info({ model: m.model, version: m.version, err }, 'model released'),
    );
    const deployments = new DeploymentService(db, writes, registry.models, registry.aliases);
    const protections = new ProtectionService(db, writes);
    // The card and fairness rules read through the judging write (cards and fairness are built below).
    const rules: PromotionRulesService = new PromotionRulesService(db, writes, {
      cardFields: (tx, model, version): Promise<CardFields> => cards.fieldsIn(tx, model, version),
      latestFairness: (tx, model, version) => fairness.latest(model, version, tx),
    });
    const approvals: ApprovalService = new ApprovalService(db, writes, clock, protections, rules);
    // Every alias move passes the approval check; an approved request replays its move.
    registry.aliases.gate = approvals;
    approvals.register('alias.set', (tx, a, _input, by) => registry.aliases.moveApproved(tx, a, by));
    approvals.register('alias.rollback', (tx, a, _input, by) => registry.aliases.moveApproved(tx, a, by));
    approvals.register('deployment.promote', (tx, a, input, by) => deployments.promoteApproved(tx, a, input, by));
    // PostgreSQL announces changes (storage/change-feed.ts); its poll is only the safety net.
    const pollMs = database.dialect === 'postgres' ? Math.max(5000, config.serving.refreshMs) : config.serving.refreshMs;
    const live = new LiveDeployments({ db, cache, logger, metrics, pollMs });
    const slo = new SloGuard(db, live, deployments, metrics, logger);
    const partitions = database.dialect === 'postgres' ? new PredictionPartitions(db) : undefined;
    const log = new PredictionStore(db, blobs, logger, partitions);
    const predictions = new PredictionLog(
      log,
      blobBodies(blobs, options.logWriter ?? tableLogWriter(database)),
      { ...SEGMENT_BOUNDS, maxQueue: config.monitoring.logQueue, flushMs: config.monitoring.logFlushMs },
      { queued: metrics.logQueued, dropped: metrics.logDropped, written: metrics.logWritten },
      logger,
    );
    // Several nodes share one key (SEXTANT_PII_KEY); one node may keep its own in its home.
    const pii = config.monitoring.piiKey ? PiiHasher.fromKey(config.monitoring.piiKey) : PiiHasher.fromHome(config.home);
    const traffic = new TrafficRecorder(db, logger, () => clock.now().getTime());
    const cpu = new CpuMeter(db, logger, () => clock.now().getTime());
    const inference = new InferenceService(live, metrics, slo, logger, (r) => predictions.enqueue(pii.protect(r)), config.serving.maxInflight, traffic, cpu);
    const notifications = new NotificationService(db, clock, logger, outbound);
    const policies = new PolicyService(db, writes, registry.models);
    const references = new ReferenceService(
      db,
      blobs,
      clock,
      log,
      async (model, version) => {
        const v = await registry.versions.get(model, version);
        return loadPredictor(v.format, await readAll(await blobs.get(v.digest)), v.signature, outbound);
      },
      async (model) => (await policies.find(model))?.target,
      pii,
    );
    const explain = new ExplainService(
      inference,
      referenceBackgrounds(async (model, version) => {
        const info = await references.info(model, version).catch((err) => (err instanceof AppError && err.code === 'not_found' ? null : Promise.reject(err)));
        return info && { digest: info.digest, rows: async () => (await references.rows(model, version)) ?? [] };
      }),
      async (model, version) => cache.get(await registry.versions.get(model, version)),
    );
    const fairness = new FairnessService(db, writes, {
      parseRows,
      decide: async (model, version, rows, cutoff) => binaryDecisions((await cache.get(await registry.versions.get(model, version))).predictor, rows, cutoff),
    });
    const quality = new QualityService(db, log, (model, version) => references.calibration(model, version));
    const alerts = new AlertService(db, writes);
    const kpis = new KpiService(db, writes, registry.models);
    const monitors = new MonitorService(db, clock, references, quality, writes, logger, alerts, log, [
      ...DEFAULT_EVALUATORS,
      fairnessEvaluator(log),
      detectorEvaluator(log),
      estimateEvaluator(log, references, gbtRegressor),
      multivariateEvaluator(references, gbtFitScore()),
      valueEvaluator(log, {
        kpi: (deployment) => kpis.ofDeployment(deployment),
        calibration: (model, version) => references.calibration(model, version),
        cpu: (deployment, since, until) => servingCpu(db, deployment, since, until),
      }),
    ]);
    const jobs = new JobQueue(db, database.dialect, clock);
    // A jobs-only process loads no models: it neither serves nor judges SLOs (serving processes do).
    const serves = config.pipelines.processRole !== 'jobs';
    const promotions = new PromotionService(
      db,
      registry,
      deployments,
      writes,
      clock,
      logger,
      () => (serves ? slo.flush(true).then(() => slo.check()) : Promise.resolve()),
      () => (serves ? live.refresh() : Promise.resolve()),
      async (model, alias) => (await protections.find(model, alias)) !== null,
    );
    const retrain = new RetrainService({
      db,
      registry,
      blobs,
      references,
      log,
      policies,
      promotions,
      queue: jobs,
      writes,
      clock,
      workDir: path.join(config.home, 'work'),
      trainerEnv: config.pipelines.trainerEnv,
      loadOptions: outbound,
    });
    const cards = new CardService(
      db,
      writes,
      clock,
      cardSources({
        db,
        registry,
        deployment: (name) => deployments.get(name),
        validation: (model, version) => retrain.validation(model, version),
        quality: (deployment, window) => quality.report(deployment, window),
        reference: (model, version) => references.info(model, version),
        fairness: (model, version) => fairness.latest(model, version),
        importance: (model, version) => explain.importance(model, version),
        approvals: async (model, version) =>
          (await approvals.forVersion(model, version)).map((a) => ({
            id: a.id,
            status: a.status,
            requestedBy: a.requestedBy,
            decidedBy: a.status === 'rejected' ? (a.rejectedBy?.approver ?? null) : a.approvals.map((v) => v.approver).join(', ') || null,
            decidedAt: a.decidedAt,
            reason: a.decisionReason ?? a.reason,
            alias: a.alias,
            fromVersion: a.fromVersion,
            requestedAt: a.requestedAt,
            approvers: a.approvals.map((v) => v.approver),
            rules: a.rules,
          })),
      }),
    );
    approvals.onClosed((tx, a) => promotions.approvalClosed(tx, a));
    // Made (or read) now, so a fresh home has its key from the first start, not the first export.
    const signer = AuditSigner.fromConfig(config.home, config.audit.signingKey);
    const auditPacks = new AuditPackService(
      db,
      {
        model: (name) => registry.models.get(name),
        versions: async (name) => {
          const out: Awaited<ReturnType<typeof registry.versions.get>>[] = [];
          let pageToken: string | undefined;
          do {
            const page = await registry.versions.list(name, { order: 'asc', pageSize: 1000, pageToken });
            out.push(...page.versions);
            pageToken = page.nextPageToken ?? undefined;
          } while (pageToken);
          return out;
        },
        aliasHistory: async (name) => (await registry.aliases.history(name)).periods,
        validation: (name, version) =>
          retrain.validation(name, version).catch((err) => (err instanceof AppError && err.code === 'not_found' ? null : Promise.reject(err))),
        deployments: (name) => deploymentsOfModel(db, name),
        grants: async (name) => [...(await grants.list(name)), ...(await grants.list('*'))],
      },
      signer,
      clock,
    );
    const triggers = new RetrainTriggers(db, policies, retrain, jobs, events, clock, logger, log);
    const worker = new JobWorker(jobs, { [RETRAIN]: (job, ctx) => retrain.run(job, ctx) }, logger);
    let unsubscribe: (() => void) | undefined;
    let feed: ChangeFeed | null = null;
    const cluster = new Cluster({
      db,
      clock,
      logger,
      identity: nodeIdentity(config),
      ttlMs: config.cluster.leaseTtlMs,
      background: config.pipelines.processRole !== 'serve',
      process: String(process.pid),
    });
    return {
      config,
      database,
      blobs,
      registry,
      mlflow: new MlflowRegistry(db, registry, writes, blobs, {
        localRoots: config.mlflow.sourceRoots,
        s3: blobs instanceof S3BlobStore ? blobs : undefined,
      }),
      serving: { deployments, live, inference, metrics, slo, cache, explain, traffic, cpu, trafficHistory: new TrafficHistory(db, clock) },
      events,
      writes,
      outbox,
      cluster,
      monitoring: {
        predictions,
        feedback: new FeedbackService(db, clock, log),
        log,
        quality,
        notifications,
        references,
        monitors,
        alerts,
        kpis,
      },
      pipelines: { jobs, policies, promotions, retrain, triggers, worker },
      audit: new AuditLog(db),
      auditPacks,
      signer,
      tokens: new TokenService(db, writes, clock),
      governance: { grants, protections, approvals, rules },
      transparency: { fairness, cards },
      clock,
      logger,
      tracing,
      start: async () => {
        await cluster.start();
        if (serves) {
          await live.start();
          feed = await listenForChanges(config.database, { onChange: (seq) => live.nudge(seq), logger, fallbackMs: config.serving.refreshMs });
          traffic.start();
          cpu.start();
          predictions.start();
        }
        // Every process flushes its SLO figures; the holder of the SLO lease judges them.
        slo.start(1000, (check) => cluster.run(LEASES.slo, check));
        // Every event goes to the channels whose prefix it matches; each process offers the events
        // it hears (deliveries are keyed by event, so several processes record one).
        unsubscribe = await events.subscribe('', (e) => notifications.enqueue(e).then(() => notifications.deliverDue()));
        notifications.start();
        // The background loops (monitor windows, promotions, triggers, jobs, retention) run where
        // jobs run: the jobs process under --workers, or the one process otherwise. They read
        // whole windows and references, which must not stall a serving event loop. Each singleton
        // runs only in the process holding its lease, so several nodes do each task once.
        if (config.pipelines.processRole !== 'serve') {
          cluster.every(LEASES.retention, 3_600_000, () => predictions.purge(config.monitoring.retentionDays));
          if (partitions) {
            cluster.every(LEASES.partitions, 3_600_000, () => partitions.maintain(clock.now(), new Date(clock.now().getTime() - config.monitoring.retentionDays * 86_400_000).toISOString()));
          }
          cluster.want(async () => (await monitors.watched()).map(LEASES.monitor));
          monitors.start(config.pipelines.monitorIntervalMs, (deployment, pass) => cluster.run(LEASES.monitor(deployment), pass));
          cluster.every(LEASES.promotions, config.pipelines.promotionIntervalMs, async () => {
            await approvals.expireDue().catch((err) => logger.warn({ err }, 'approval expiry pass failed'));
            return promotions.advance();
          });
          cluster.every(LEASES.outbox, 1000, () => outbox.sweep());
          await triggers.start(undefined, (pass) => cluster.run(LEASES.scheduler, pass));
          cluster.want(() => [LEASES.scheduler, LEASES.slo]);
          if (config.pipelines.runJobs) worker.start();
        }
      },
      close: async () => {
        await cluster.stop();
        await feed?.close();
        live.stop();
        slo.stop();
        traffic.stop();
        cpu.stop();
        unsubscribe?.();
        notifications.stop();
        monitors.stop();
        promotions.stop();
        outbox.stop();
        triggers.stop();
        await worker.stop();
        await predictions.close();
        await traffic.flush(true).catch((err) => logger.warn({ err }, 'traffic history not flushed at close'));
        await cpu.flush(true).catch((err) => logger.warn({ err }, 'serving CPU not flushed at close'));
        await cache.close();
        await events.close();
        await database.close();
        await tracing?.close();
      },
    };
  } catch (err) {
    await database.close();
    await tracing?.close();
    throw err;
  }
}
