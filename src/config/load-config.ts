import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../shared/app-error.js';
import { describeIssues } from '../shared/parse.js';
import { readSigningKey } from '../shared/signing-key.js';
import { loadTracingConfig, type TracingConfig } from './tracing-config.js';

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema?: string };

export type ArtifactsConfig =
  | { kind: 'fs'; root: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    };

export interface Config {
  readonly home: string;
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly artifacts: ArtifactsConfig;
  readonly auth: { readonly enabled: boolean };
  readonly limits: { readonly bodyBytes: number; readonly artifactBytes: number };
  readonly logLevel: string;
  readonly serving: {
    readonly modelCacheBytes: number;
    readonly refreshMs: number;
    /** Inference requests one serving process works on at once; more are answered 429. */
    readonly maxInflight: number;
  };
  /** Where webhooks and `remote` models may connect despite being loopback, private or link-local. */
  readonly outbound: { readonly allowedHosts: readonly string[] };
  readonly monitoring: {
    readonly logQueue: number;
    readonly logFlushMs: number;
    readonly retentionDays: number;
    /** The key personal data is hashed under (64 hex digits); every node of a cluster needs the same. Absent: the home's `pii.key`. */
    readonly piiKey?: string;
  };
  /** NATS server for the event bus; in-process events when absent. */
  readonly natsUrl: string | undefined;
  readonly pipelines: {
    /**
     * `all` serves and runs jobs (one process); under `--workers` the primary starts `serve`
     * processes and one `jobs` process, so training never competes with requests on an event loop.
     */
    readonly processRole: 'all' | 'serve' | 'jobs';
    /** Whether this process claims and runs jobs. */
    readonly runJobs: boolean;
    readonly monitorIntervalMs: number;
    /** How often promotions are advanced; a step is taken once its stepSeconds have passed. */
    readonly promotionIntervalMs: number;
    /** The environment an external trainer inherits: PATH, HOME, locale and temp dir, nothing secret. */
    readonly trainerEnv: Readonly<Record<string, string>>;
  };
  /** MLflow's registry API (src/mlflow-registry/). */
  readonly mlflow: {
    /** Local directories `model-versions/create` may read MLflow model directories from; none: local sources are refused. */
    readonly sourceRoots: readonly string[];
  };
  readonly governance: {
    /** The role a model's creator (a token) is granted on it; none when absent (`SEXTANT_CREATOR_ROLE`). */
    readonly creatorRole: 'viewer' | 'editor' | 'deployer' | 'approver' | 'admin' | undefined;
  };
  /** Several nodes on one database (src/cluster/). */
  readonly cluster: {
    /** This node's id; one is made from the host name when absent. A server's processes share it. */
    readonly nodeId: string | undefined;
    /** A singleton task's lease lives this long after its holder last renewed it. */
    readonly leaseTtlMs: number;
    /**
     * What a starting node does when the schema is behind its release: `auto` migrates, `wait`
     * waits for another node or `sextant db migrate` to, `never` refuses. A schema ahead of the
     * release is always refused.
     */
    readonly migrate: 'auto' | 'wait' | 'never';
  };
  readonly audit: {
    /**
     * The Ed25519 key audit packs are signed with, as given (PKCS#8 PEM or base64 PKCS#8 DER);
     * every node of a cluster needs the same. Absent: the home's `signing-key.pem`, made on first start.
     */
    readonly signingKey?: string;
  };
  /** OpenTelemetry traces over OTLP/HTTP (the standard `OTEL_*` variables); off without an endpoint. */
  readonly tracing: TracingConfig;
}

/** Command-line flags that override the environment. */
export interface ConfigFlags {
  host?: string;
  port?: number | string;
  home?: string;
  auth?: boolean;
  databaseUrl?: string;
  artifacts?: string;
  logLevel?: string;
}

const boolish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const Raw = z.object({
  home: z.string().min(1),
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  databaseUrl: z.string().optional(),
  artifacts: z.string().optional(),
  auth: z.union([z.boolean(), boolish]).optional(),
  bodyBytes: z.coerce.number().int().min(1024),
  artifactBytes: z.coerce.number().int().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  modelCacheMb: z.coerce.number().int().min(16),
  refreshMs: z.coerce.number().int().min(10).max(60_000),
  maxInflight: z.coerce.number().int().min(1).max(1_000_000),
  allowedHosts: z
    .string()
    .transform((s) => s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().refine(isAllowedHostEntry, { error: (i) => `"${String(i.input)}" is not loopback, an IP address, a CIDR range, a host name or *.domain` }))),
  logQueue: z.coerce.number().int().min(1),
  logFlushMs: z.coerce.number().int().min(10).max(60_000),
  retentionDays: z.coerce.number().min(0.001),
  piiKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`').optional(),
  runJobs: boolish.optional(),
  processRole: z.enum(['all', 'serve', 'jobs']),
  monitorIntervalMs: z.coerce.number().int().min(50).max(3_600_000),
  promotionIntervalMs: z.coerce.number().int().min(50).max(60_000),
  nodeId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits, ".", "_", ":" and "-", at most 64').optional(),
  leaseTtlMs: z.coerce.number().int().min(200).max(600_000),
  migrate: z.enum(['auto', 'wait', 'never']),
  signingKey: z
    .string()
    .superRefine((text, ctx) => {
      try {
        readSigningKey(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; give an Ed25519 key as PKCS#8 PEM or base64 PKCS#8 DER` });
      }
    })
    .optional(),
  mlflowSourceRoots: z
    .string()
    .transform((s) => s.split(path.delimiter).map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.string().refine((p) => path.isAbsolute(p), { error: (i) => `"${String(i.input)}" is not an absolute path` }))),
  creatorRole: z.enum(['viewer', 'editor', 'deployer', 'approver', 'admin']).optional(),
  natsUrl: z.string().regex(/^(nats|tls):\/\/\S+$/, 'must look like nats://host:4222').optional(),
  s3Region: z.string().default('us-east-1'),
  s3Endpoint: z.string().url().optional(),
  s3ForcePathStyle: boolish.optional(),
  awsAccessKeyId: z.string().optional(),
  awsSecretAccessKey: z.string().optional(),
  awsSessionToken: z.string().optional(),
});

const ENV_NAMES: Record<string, string> = {
  home: 'SEXTANT_HOME',
  host: 'SEXTANT_HOST',
  port: 'SEXTANT_PORT',
  databaseUrl: 'SEXTANT_DATABASE_URL',
  artifacts: 'SEXTANT_ARTIFACTS',
  auth: 'SEXTANT_AUTH',
  bodyBytes: 'SEXTANT_BODY_LIMIT',
  artifactBytes: 'SEXTANT_MAX_ARTIFACT_BYTES',
  logLevel: 'SEXTANT_LOG_LEVEL',
  modelCacheMb: 'SEXTANT_MODEL_CACHE_MB',
  refreshMs: 'SEXTANT_REFRESH_MS',
  maxInflight: 'SEXTANT_MAX_INFLIGHT',
  allowedHosts: 'SEXTANT_ALLOWED_HOSTS',
  natsUrl: 'SEXTANT_NATS_URL',
  creatorRole: 'SEXTANT_CREATOR_ROLE',
  logQueue: 'SEXTANT_LOG_QUEUE',
  logFlushMs: 'SEXTANT_LOG_FLUSH_MS',
  retentionDays: 'SEXTANT_PREDICTION_RETENTION_DAYS',
  piiKey: 'SEXTANT_PII_KEY',
  runJobs: 'SEXTANT_RUN_JOBS',
  processRole: 'SEXTANT_PROCESS_ROLE',
  monitorIntervalMs: 'SEXTANT_MONITOR_INTERVAL_MS',
  promotionIntervalMs: 'SEXTANT_PROMOTION_INTERVAL_MS',
  nodeId: 'SEXTANT_NODE_ID',
  leaseTtlMs: 'SEXTANT_LEASE_TTL_MS',
  migrate: 'SEXTANT_MIGRATE',
  signingKey: 'SEXTANT_SIGNING_KEY',
  mlflowSourceRoots: 'SEXTANT_MLFLOW_SOURCE_ROOTS',
  s3Endpoint: 'AWS_ENDPOINT_URL_S3',
  s3ForcePathStyle: 'SEXTANT_S3_FORCE_PATH_STYLE',
};

const TRAINER_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'PYTHONPATH', 'VIRTUAL_ENV'];

/** An entry of SEXTANT_ALLOWED_HOSTS: `loopback`, an IP address, a CIDR range, a host name or `*.domain`. */
function isAllowedHostEntry(entry: string): boolean {
  if (entry === 'loopback') return true;
  const [address, bits, extra] = entry.split('/');
  if (extra === undefined && bits !== undefined) {
    const v = net.isIP(address!);
    return v !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128);
  }
  return net.isIP(entry) !== 0 || /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/.test(entry);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The one place Sextant reads its environment. Pure: takes the environment and flags, returns a
 * frozen, validated Config, or throws an `invalid_argument` AppError naming the variable.
 */
export function loadConfig(input: { env?: NodeJS.ProcessEnv; flags?: ConfigFlags; cwd?: string } = {}): Config {
  const env = input.env ?? {};
  const flags = input.flags ?? {};
  const cwd = input.cwd ?? '.';
  const raw = Raw.safeParse({
    home: flags.home ?? env.SEXTANT_HOME ?? './.sextant',
    host: flags.host ?? env.SEXTANT_HOST ?? '127.0.0.1',
    port: flags.port ?? env.SEXTANT_PORT ?? 8080,
    databaseUrl: flags.databaseUrl ?? env.SEXTANT_DATABASE_URL,
    artifacts: flags.artifacts ?? env.SEXTANT_ARTIFACTS,
    auth: flags.auth ?? env.SEXTANT_AUTH,
    bodyBytes: env.SEXTANT_BODY_LIMIT ?? 1024 * 1024,
    artifactBytes: env.SEXTANT_MAX_ARTIFACT_BYTES ?? 4 * 1024 ** 3,
    logLevel: flags.logLevel ?? env.SEXTANT_LOG_LEVEL ?? 'info',
    modelCacheMb: env.SEXTANT_MODEL_CACHE_MB ?? 2048,
    refreshMs: env.SEXTANT_REFRESH_MS ?? 200,
    maxInflight: env.SEXTANT_MAX_INFLIGHT ?? 256,
    // Loopback by default, so the quick start's local webhooks and remote models keep working.
    allowedHosts: env.SEXTANT_ALLOWED_HOSTS ?? 'loopback',
    natsUrl: env.SEXTANT_NATS_URL || undefined,
    creatorRole: env.SEXTANT_CREATOR_ROLE || undefined,
    logQueue: env.SEXTANT_LOG_QUEUE ?? 250_000,
    logFlushMs: env.SEXTANT_LOG_FLUSH_MS ?? 250,
    retentionDays: env.SEXTANT_PREDICTION_RETENTION_DAYS ?? 30,
    piiKey: env.SEXTANT_PII_KEY || undefined,
    runJobs: env.SEXTANT_RUN_JOBS,
    processRole: env.SEXTANT_PROCESS_ROLE ?? 'all',
    monitorIntervalMs: env.SEXTANT_MONITOR_INTERVAL_MS ?? 5000,
    promotionIntervalMs: env.SEXTANT_PROMOTION_INTERVAL_MS ?? 1000,
    nodeId: env.SEXTANT_NODE_ID || undefined,
    leaseTtlMs: env.SEXTANT_LEASE_TTL_MS ?? 10_000,
    migrate: env.SEXTANT_MIGRATE ?? 'auto',
    signingKey: env.SEXTANT_SIGNING_KEY || undefined,
    mlflowSourceRoots: env.SEXTANT_MLFLOW_SOURCE_ROOTS ?? '',
    s3Region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    s3Endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL,
    s3ForcePathStyle: env.SEXTANT_S3_FORCE_PATH_STYLE,
    awsAccessKeyId: env.AWS_ACCESS_KEY_ID,
    awsSecretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    awsSessionToken: env.AWS_SESSION_TOKEN,
  });
  if (!raw.success) {
    const fields = describeIssues(raw.error.issues).map((f) => ({ ...f, field: ENV_NAMES[f.field.split('.')[0]!] ?? f.field }));
    throw new AppError('invalid_argument', `invalid configuration: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, {
      fields,
    });
  }
  const r = raw.data;
  const tracing = loadTracingConfig(env);
  const home = path.resolve(cwd, r.home);
  return Object.freeze({
    home,
    host: r.host,
    port: r.port,
    database: parseDatabase(r.databaseUrl, home),
    artifacts: parseArtifacts(r.artifacts, home, r),
    auth: Object.freeze({ enabled: r.auth ?? false }),
    limits: Object.freeze({ bodyBytes: r.bodyBytes, artifactBytes: r.artifactBytes }),
    logLevel: r.logLevel,
    serving: Object.freeze({ modelCacheBytes: r.modelCacheMb * 1024 * 1024, refreshMs: r.refreshMs, maxInflight: r.maxInflight }),
    outbound: Object.freeze({ allowedHosts: Object.freeze(r.allowedHosts) }),
    natsUrl: r.natsUrl,
    monitoring: Object.freeze({ logQueue: r.logQueue, logFlushMs: r.logFlushMs, retentionDays: r.retentionDays, piiKey: r.piiKey?.toLowerCase() }),
    pipelines: Object.freeze({
      processRole: r.processRole,
      runJobs: r.processRole !== 'serve' && (r.runJobs ?? true),
      monitorIntervalMs: r.monitorIntervalMs,
      promotionIntervalMs: r.promotionIntervalMs,
      trainerEnv: Object.freeze(Object.fromEntries(TRAINER_ENV.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]))),
    }),
    mlflow: Object.freeze({ sourceRoots: Object.freeze(r.mlflowSourceRoots) }),
    governance: Object.freeze({ creatorRole: r.creatorRole }),
    cluster: Object.freeze({ nodeId: r.nodeId, leaseTtlMs: r.leaseTtlMs, migrate: r.migrate }),
    audit: Object.freeze({ signingKey: r.signingKey }),
    tracing,
  });
}

function parseDatabase(url: string | undefined, home: string): DatabaseConfig {
  if (!url) return { kind: 'sqlite', path: path.join(home, 'sextant.db') };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: path.resolve(home, url.slice('sqlite:'.length).replace(/^\/\//, '')) };
  throw new AppError('invalid_argument', 'invalid configuration: SEXTANT_DATABASE_URL must start with postgres://, postgresql:// or sqlite:', {
    field: 'SEXTANT_DATABASE_URL',
  });
}

function parseArtifacts(spec: string | undefined, home: string, r: z.infer<typeof Raw>): ArtifactsConfig {
  if (!spec) return { kind: 'fs', root: path.join(home, 'artifacts') };
  if (spec.startsWith('s3://')) {
    const rest = spec.slice('s3://'.length);
    const [bucket, ...prefixParts] = rest.split('/');
    if (!bucket) {
      throw new AppError('invalid_argument', 'invalid configuration: SEXTANT_ARTIFACTS=s3://BUCKET[/PREFIX] needs a bucket', {
        field: 'SEXTANT_ARTIFACTS',
      });
    }
    const credentials =
      r.awsAccessKeyId && r.awsSecretAccessKey
        ? { accessKeyId: r.awsAccessKeyId, secretAccessKey: r.awsSecretAccessKey, sessionToken: r.awsSessionToken }
        : undefined;
    return {
      kind: 's3',
      bucket,
      prefix: prefixParts.join('/').replace(/\/+$/, ''),
      region: r.s3Region,
      endpoint: r.s3Endpoint,
      forcePathStyle: r.s3ForcePathStyle ?? r.s3Endpoint !== undefined,
      credentials,
    };
  }
  const root = spec.startsWith('file://') ? spec.slice('file://'.length) : spec;
  return { kind: 'fs', root: path.resolve(home, root) };
}
