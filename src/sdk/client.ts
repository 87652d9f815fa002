import {
  DataQualityResult,
  Job,
  JobList,
  JobLogs,
  type ListJobsQuery,
  type PolicyInput,
  PromotionList,
  RetrainingPolicy,
  type RetrainRequest,
  ValidationResult,
  type KpiInput,
  ModelKpi,
  Alias,
  AliasHistory,
  ApprovalRequested,
  AliasList,
  AuditPage,
  AuditPublicKey,
  AuditVerifyResult,
  ClusterStatus,
  CreatedToken,
  FeatureImportance,
  CardFields,
  ModelCard,
  FairnessReportList,
  type FairnessQuery,
  StoredFairnessReport,
  MlflowExplainResponse,
  OipExplainResponse,
  Model,
  ModelPage,
  ModelVersion,
  Readiness,
  RegisteredVersion,
  Deployment,
  DeploymentList,
  FeedbackResult,
  PredictionList,
  QualityReport,
  ReferenceInfo,
  DriftResult,
  Monitor,
  MonitorResults,
  Alert,
  AlertList,
  type CreateMonitorRequest,
  type FeedbackRequest,
  type ListPredictionsQuery,
  Token,
  TokenList,
  type CanaryRequest,
  type CreateDeploymentRequest,
  type UpdateDeploymentRequest,
  VersionPage,
  type CreateModelRequest,
  type CreateTokenRequest,
  type ListAuditQuery,
  type ListModelsQuery,
  type ListVersionsQuery,
  type RegisterVersionMeta,
  type UpdateModelRequest,
  type UpdateVersionRequest,
} from '../contracts/index.js';
import { multipartBody } from './multipart-body.js';
import { type ClientOptions, createTransport, enc, qs, type Query } from './transport.js';
import { dashboardResources } from './dashboard-resources.js';
import { governanceResources } from './governance-resources.js';

export type { ClientOptions } from './transport.js';

export interface UploadOptions {
  /** The artifact bytes, streamed (a file stream, or any async iterable of chunks). */
  file: AsyncIterable<Uint8Array>;
  filename?: string;
}

/** An artifact as a web stream (the Node entry adds a Node stream). */
export interface ArtifactBody {
  /** The artifact bytes; the server checks the digest while sending. */
  body: ReadableStream<Uint8Array>;
  digest: string;
  size: number;
}

/**
 * Typed client of the Sextant REST API. Every response is parsed with the same zod contracts the
 * server uses, so a mismatch fails loudly here instead of deep inside a caller. Runs in browsers
 * and in Node; the Node entry (`sextant/sdk`) adds Node streams for artifacts.
 */
export function createBaseClient(options: ClientOptions) {
  const t = createTransport(options);
  const { base, call, none, send, headers } = t;

  /** Sends a CSV or JSON-lines body (reference data, datasets). */
  const sendText = (method: string, path: string, text: string, format: 'csv' | 'jsonl', query?: Query) =>
    t.raw(`${path}${qs(query)}`, { method, headers: headers({ 'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson' }), body: text });

  return {
    baseUrl: base,
    health: {
      /** GET /readyz */
      ready: () => call(Readiness, 'GET', '/readyz'),
    },
    models: {
      /** Creates a model; 409 when the name is taken. */
      create: (req: CreateModelRequest) => call(Model, 'POST', '/api/v1/models', { body: req }),
      /** Gets a model with its aliases. */
      get: (name: string) => call(Model, 'GET', `/api/v1/models/${enc(name)}`),
      /** Searches models; pass `pageToken` from the previous page to continue. */
      list: (query: ListModelsQuery = {}) => call(ModelPage, 'GET', '/api/v1/models', { query: query as Query }),
      /** Updates description, owner or tags (a null tag value deletes it). */
      update: (name: string, req: UpdateModelRequest) => call(Model, 'PATCH', `/api/v1/models/${enc(name)}`, { body: req }),
      /** Deletes a model and its versions; 409 while aliases or deployments point at it. */
      delete: (name: string, reason?: string) => none('DELETE', `/api/v1/models/${enc(name)}`, { query: { reason } }),
    },
    versions: {
      /** Uploads an artifact as a new version; the bytes are streamed, never buffered. */
      register: async (model: string, meta: RegisterVersionMeta, upload: UploadOptions) => {
        const { contentType, body } = multipartBody(meta, upload.file, upload.filename ?? 'artifact');
        const res = await t.raw(`/api/v1/models/${enc(model)}/versions`, {
          method: 'POST',
          headers: headers({ 'content-type': contentType }),
          body,
          duplex: 'half',
        } as RequestInit);
        return RegisteredVersion.parse(await res.json());
      },
      /** Gets a version by number, alias or `latest`. */
      get: (model: string, ref: string | number) => call(ModelVersion, 'GET', `/api/v1/models/${enc(model)}/versions/${enc(String(ref))}`),
      /** Resolves `name@alias`, `name@latest` or `name/3`. */
      resolve: (ref: string) => call(ModelVersion, 'GET', '/api/v1/resolve', { query: { ref } }),
      list: (model: string, query: ListVersionsQuery = {}) =>
        call(VersionPage, 'GET', `/api/v1/models/${enc(model)}/versions`, { query: query as Query }),
      /** Changes description, tags or status; everything else is immutable. */
      update: (model: string, version: number, req: UpdateVersionRequest) =>
        call(ModelVersion, 'PATCH', `/api/v1/models/${enc(model)}/versions/${version}`, { body: req }),
      /** A version's reference data: size, columns and per-column profile. */
      reference: (model: string, version: number) => call(ReferenceInfo, 'GET', `/api/v1/models/${enc(model)}/versions/${version}/reference`),
      /** Uploads a version's reference data (CSV with a header, or JSON lines) for drift monitoring. */
      uploadReference: async (model: string, version: number, text: string, format: 'csv' | 'jsonl') =>
        ReferenceInfo.parse(await (await sendText('PUT', `/api/v1/models/${enc(model)}/versions/${version}/reference`, text, format)).json()),
      /** Fairness of a version on a labelled dataset it scores itself; the report is stored. */
      fairness: async (model: string, version: number, text: string, format: 'csv' | 'jsonl', query: FairnessQuery) =>
        StoredFairnessReport.parse(await (await sendText('POST', `/api/v1/models/${enc(model)}/versions/${version}/fairness`, text, format, query as Query)).json()),
      /** The version's model card (JSON), current at every read. */
      card: (model: string, version: number) => call(ModelCard, 'GET', `/api/v1/models/${enc(model)}/versions/${version}/card`),
      /** The card rendered as Markdown or self-contained HTML. */
      cardText: async (model: string, version: number, format: 'md' | 'html') =>
        (await send('GET', `/api/v1/models/${enc(model)}/versions/${version}/card`, { query: { format } })).text(),
      /** Sets human card fields of the model (version omitted) or of one version. */
      editCard: (model: string, fields: CardFields, version?: number) =>
        call(CardFields, 'PUT', version === undefined ? `/api/v1/models/${enc(model)}/card` : `/api/v1/models/${enc(model)}/versions/${version}/card`, { body: fields }),
      /** A version's stored fairness reports, newest first. */
      fairnessReports: async (model: string, version: number) =>
        (await call(FairnessReportList, 'GET', `/api/v1/models/${enc(model)}/versions/${version}/fairness`)).reports,
      /** Global feature importance: mean |SHAP contribution| over the version's reference data. */
      importance: (model: string, version: number) => call(FeatureImportance, 'GET', `/api/v1/models/${enc(model)}/versions/${version}/importance`),
      /** Streams the artifact; the server checks its digest while sending. */
      artifact: async (model: string, ref: string | number): Promise<ArtifactBody> => {
        const res = await send('GET', `/api/v1/models/${enc(model)}/versions/${enc(String(ref))}/artifact`);
        return {
          body: res.body as ReadableStream<Uint8Array>,
          digest: res.headers.get('x-sextant-digest') ?? '',
          size: Number(res.headers.get('content-length') ?? 0),
        };
      },
    },
    aliases: {
      list: async (model: string) => (await call(AliasList, 'GET', `/api/v1/models/${enc(model)}/aliases`)).aliases,
      /** Points an alias at a version, recording the reason; a protected alias answers `{approval}` (HTTP 202) instead. */
      set: (model: string, alias: string, version: number, reason?: string) =>
        call(Alias.or(ApprovalRequested), 'PUT', `/api/v1/models/${enc(model)}/aliases/${enc(alias)}`, { body: { version, reason } }),
      delete: (model: string, alias: string, reason?: string) =>
        none('DELETE', `/api/v1/models/${enc(model)}/aliases/${enc(alias)}`, { query: { reason } }),
      /** Moves the alias back to the version it held before its last move; a protected alias answers `{approval}` instead. */
      rollback: (model: string, alias: string, reason?: string) =>
        call(Alias.or(ApprovalRequested), 'POST', `/api/v1/models/${enc(model)}/rollback`, { body: { alias, reason } }),
      /** Which version each alias held over time. */
      history: (model: string, alias?: string) => call(AliasHistory, 'GET', `/api/v1/models/${enc(model)}/history`, { query: { alias } }),
    },
    deployments: {
      /** Creates a deployment that follows an alias or pins weighted versions. */
      create: (req: CreateDeploymentRequest) => call(Deployment, 'POST', '/api/v1/deployments', { body: req }),
      get: (name: string) => call(Deployment, 'GET', `/api/v1/deployments/${enc(name)}`),
      list: async () => (await call(DeploymentList, 'GET', '/api/v1/deployments')).deployments,
      update: (name: string, req: UpdateDeploymentRequest) => call(Deployment, 'PATCH', `/api/v1/deployments/${enc(name)}`, { body: req }),
      delete: (name: string, reason?: string) => none('DELETE', `/api/v1/deployments/${enc(name)}`, { query: { reason } }),
      /** Sends `weight` percent of traffic to a canary version. */
      canary: (name: string, req: CanaryRequest) => call(Deployment, 'POST', `/api/v1/deployments/${enc(name)}/canary`, { body: req }),
      /** Makes the canary the primary (moves the followed alias). */
      promote: (name: string, reason?: string) => call(Deployment.or(ApprovalRequested), 'POST', `/api/v1/deployments/${enc(name)}/promote`, { body: { reason } }),
      /** Removes the canary. */
      abort: (name: string, reason?: string) => call(Deployment, 'POST', `/api/v1/deployments/${enc(name)}/abort`, { body: { reason } }),
      /** Sends ground truth for logged requests; repeats are idempotent, unknown ids are reported. */
      feedback: (name: string, items: FeedbackRequest) => call(FeedbackResult, 'POST', `/api/v1/deployments/${enc(name)}/feedback`, { body: items }),
      /** Quality metrics over a window (ISO times), from logged predictions joined with ground truth. */
      quality: (name: string, window: { since?: string; until?: string } = {}) =>
        call(QualityReport, 'GET', `/api/v1/deployments/${enc(name)}/quality`, { query: window }),
      /** Drift of the inputs logged in a window against the serving version's reference data. */
      drift: (name: string, window: { since?: string; until?: string; version?: number } = {}) =>
        call(DriftResult, 'GET', `/api/v1/deployments/${enc(name)}/drift`, { query: window as Query }),
      /** Data-quality checks of a window: missing values, out-of-range numbers, new categories, refused requests. */
      dataQuality: (name: string, window: { since?: string; until?: string; version?: number } = {}) =>
        call(DataQualityResult, 'GET', `/api/v1/deployments/${enc(name)}/data-quality`, { query: window as Query }),
      /** Logged predictions, newest first, with labels when known. */
      predictions: async (name: string, query: ListPredictionsQuery = {}) =>
        (await call(PredictionList, 'GET', `/api/v1/deployments/${enc(name)}/predictions`, { query: query as Query })).predictions,
    },
    inference: {
      /** MLflow scoring protocol; returns the parsed body plus the answering version and request id. */
      invocations: async (deployment: string, body: unknown) => {
        const res = await send('POST', `/v1/deployments/${enc(deployment)}/invocations`, { body });
        return {
          predictions: ((await res.json()) as { predictions: unknown[] }).predictions,
          version: Number(res.headers.get('x-model-version')),
          requestId: res.headers.get('x-request-id') ?? '',
        };
      },
      /** MLflow scoring body answered with predictions and SHAP explanations. */
      explain: async (deployment: string, body: unknown) => {
        const res = await send('POST', `/v1/deployments/${enc(deployment)}/explain`, { body });
        return { ...MlflowExplainResponse.parse(await res.json()), version: Number(res.headers.get('x-model-version')) };
      },
      /** Open Inference Protocol v2 body answered with outputs and SHAP explanations. */
      explainOip: async (deployment: string, body: unknown, version?: number) => {
        const path = version === undefined ? `/v2/models/${enc(deployment)}/explain` : `/v2/models/${enc(deployment)}/versions/${version}/explain`;
        return OipExplainResponse.parse(await (await send('POST', path, { body })).json());
      },
      /** Open Inference Protocol v2 `infer` (optionally on one version, bypassing routing). */
      infer: async (deployment: string, body: unknown, version?: number) => {
        const path = version === undefined ? `/v2/models/${enc(deployment)}/infer` : `/v2/models/${enc(deployment)}/versions/${version}/infer`;
        const res = await send('POST', path, { body });
        return (await res.json()) as { model_name: string; model_version: string; id: string; outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[] };
      },
    },
    alerts: {
      /** Alerts raised by monitors, newest first. */
      list: async (query: { status?: 'open' | 'acked' | 'resolved'; deployment?: string } = {}) =>
        (await call(AlertList, 'GET', '/api/v1/alerts', { query })).alerts,
      ack: (id: string) => call(Alert, 'POST', `/api/v1/alerts/${enc(id)}/ack`, { body: {} }),
    },
    monitors: {
      /** Watches a deployment per window: drift against the reference, quality against thresholds. */
      create: (req: CreateMonitorRequest) => call(Monitor, 'POST', '/api/v1/monitors', { body: req }),
      get: (deployment: string) => call(Monitor, 'GET', `/api/v1/monitors/${enc(deployment)}`),
      /** Results per window, newest first. */
      results: async (deployment: string) => (await call(MonitorResults, 'GET', `/api/v1/monitors/${enc(deployment)}/results`)).results,
    },
    retraining: {
      /** Queues a retrain of a model now; answers 409 while one is in flight. */
      retrain: (model: string, req: RetrainRequest = {}) => call(Job, 'POST', `/api/v1/models/${enc(model)}/retrain`, { body: req }),
      /** Replaces a model's retraining policy (defaults fill the rest). */
      setPolicy: (model: string, spec: PolicyInput) => call(RetrainingPolicy, 'PUT', `/api/v1/models/${enc(model)}/policy`, { body: spec }),
      /** A model's retraining policy (404 when it has none). */
      getPolicy: (model: string) => call(RetrainingPolicy, 'GET', `/api/v1/models/${enc(model)}/policy`),
      /** The gate result stored for a retrained version. */
      validation: (model: string, version: number) => call(ValidationResult, 'GET', `/api/v1/models/${enc(model)}/versions/${version}/validation`),
      /** Promotions of retrained versions (canary ramps), newest first. */
      promotions: async (query: { model?: string; status?: string } = {}) => (await call(PromotionList, 'GET', '/api/v1/promotions', { query })).promotions,
    },
    kpi: {
      /** Replaces a model's business value KPI: outcome values, cost per unit of absolute error, price per CPU-hour. */
      set: (model: string, spec: KpiInput) => call(ModelKpi, 'PUT', `/api/v1/models/${enc(model)}/kpi`, { body: spec }),
      /** A model's business value KPI (404 when it has none). */
      get: (model: string) => call(ModelKpi, 'GET', `/api/v1/models/${enc(model)}/kpi`),
    },
    jobs: {
      /** Jobs, newest first, filtered by model, status or kind. */
      list: async (query: ListJobsQuery = {}) => (await call(JobList, 'GET', '/api/v1/jobs', { query: query as Query })).jobs,
      /** One job: status, attempts, trigger, result or error. */
      get: (id: string) => call(Job, 'GET', `/api/v1/jobs/${enc(id)}`),
      /** Log lines after `after` (a sequence number); pass the returned `next` to follow. */
      logs: (id: string, after = 0) => call(JobLogs, 'GET', `/api/v1/jobs/${enc(id)}/logs`, { query: { after } }),
      /** Cancels a job: a queued one at once, a running one at its next heartbeat (409 once it ended). */
      cancel: (id: string) => call(Job, 'POST', `/api/v1/jobs/${enc(id)}/cancel`, { body: {} }),
    },
    audit: {
      list: (query: ListAuditQuery = {}) => call(AuditPage, 'GET', '/api/v1/audit', { query: query as Query }),
      /** Walks the hash chain server-side and reports the first broken link. */
      verify: () => call(AuditVerifyResult, 'GET', '/api/v1/audit/verify'),
      /**
       * A model's signed audit pack, as the exact text the server sent: re-encoding it could
       * change what was signed, so save this text as it is.
       */
      pack: (model: string, query: { version?: number } = {}) => t.text('GET', `/api/v1/models/${enc(model)}/audit-pack`, { query }),
      /** The Ed25519 public key audit packs are signed with (SPKI PEM inside). */
      publicKey: () => call(AuditPublicKey, 'GET', '/api/v1/audit/public-key'),
    },
    cluster: {
      /** The nodes sharing the server's database, their heartbeats, and which holds which singleton lease. */
      status: () => call(ClusterStatus, 'GET', '/api/v1/cluster'),
    },
    ...dashboardResources(t),
    ...governanceResources(t),
    tokens: {
      /** Creates a token; the returned `token` secret is shown only this once. */
      create: (req: CreateTokenRequest) => call(CreatedToken, 'POST', '/api/v1/tokens', { body: req }),
      list: async () => (await call(TokenList, 'GET', '/api/v1/tokens')).tokens,
      revoke: (idOrName: string) => call(Token, 'DELETE', `/api/v1/tokens/${enc(idOrName)}`),
    },
  };
}

export type BaseClient = ReturnType<typeof createBaseClient>;
