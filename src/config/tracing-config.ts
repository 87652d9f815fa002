import { AppError } from '../shared/app-error.js';

/** OpenTelemetry traces, from the standard `OTEL_*` variables. */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL spans are posted to; undefined: tracing is off and no SDK is loaded. */
  readonly endpoint: string | undefined;
  /** Headers sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`, e.g. an API key). */
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  /**
   * Which traces are kept: `always_on`, `always_off`, or `ratio` (a share of trace ids); with
   * `parentBased` a request whose caller sent a `traceparent` follows the caller's sampled flag.
   */
  readonly sampler: { readonly root: 'always_on' | 'always_off' | 'ratio'; readonly ratio: number; readonly parentBased: boolean };
  /** Spans are sent in batches at most this long after they end (`OTEL_BSP_SCHEDULE_DELAY`). */
  readonly exportDelayMs: number;
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

function invalid(variable: string, message: string): AppError {
  return new AppError('invalid_argument', `invalid configuration: ${variable}: ${message}`, { fields: [{ field: variable, message }] });
}

/** `k1=v1,k2=v2` with percent-encoded values, as the OpenTelemetry specification writes headers. */
function parseHeaders(variable: string, text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    if (!pair.trim()) continue;
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw invalid(variable, `"${pair.trim()}" is not key=value with a header name as key`);
    try {
      headers[key.toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      throw invalid(variable, `the value of ${key} is not percent-encoded`);
    }
  }
  return headers;
}

function parseUrl(variable: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(variable, `"${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(variable, 'must be an http:// or https:// URL (Sextant exports OTLP over HTTP)');
  return url;
}

/**
 * Tracing settings from the environment. `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is the traces URL
 * as given; `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL that `/v1/traces` is appended to, as the
 * specification says. Neither set, or `OTEL_SDK_DISABLED=true`, switches tracing off.
 */
export function loadTracingConfig(env: NodeJS.ProcessEnv): TracingConfig {
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const baseUrl = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  let endpoint: string | undefined;
  if (tracesUrl) endpoint = parseUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesUrl).href;
  else if (baseUrl) {
    const base = parseUrl('OTEL_EXPORTER_OTLP_ENDPOINT', baseUrl);
    endpoint = new URL(`${base.pathname.replace(/\/+$/, '')}/v1/traces`, base).href;
  }
  if (['true', '1'].includes((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase())) endpoint = undefined;

  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim();
  // OTLP/HTTP receivers take JSON and protobuf bodies alike; Sextant sends JSON. gRPC it does not speak.
  if (protocol && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw invalid(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL', `"${protocol}": Sextant exports over OTLP/HTTP (http/json); point it at the receiver's HTTP port (4318)`);
  }

  const samplerName = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(samplerName)) throw invalid('OTEL_TRACES_SAMPLER', `"${samplerName}" is not one of ${SAMPLERS.join(', ')}`);
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const ratio = arg ? Number(arg) : 1;
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw invalid('OTEL_TRACES_SAMPLER_ARG', `"${arg}" is not a probability between 0 and 1`);
  const root = samplerName.endsWith('always_on') ? 'always_on' : samplerName.endsWith('always_off') ? 'always_off' : 'ratio';

  const delayText = env.OTEL_BSP_SCHEDULE_DELAY?.trim();
  const exportDelayMs = delayText ? Number(delayText) : 5000;
  if (!Number.isInteger(exportDelayMs) || exportDelayMs < 1 || exportDelayMs > 600_000) throw invalid('OTEL_BSP_SCHEDULE_DELAY', `"${delayText}" is not a whole number of milliseconds between 1 and 600000`);

  return Object.freeze({
    endpoint,
    headers: Object.freeze({ ...parseHeaders('OTEL_EXPORTER_OTLP_HEADERS', env.OTEL_EXPORTER_OTLP_HEADERS), ...parseHeaders('OTEL_EXPORTER_OTLP_TRACES_HEADERS', env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) }),
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'sextant',
    sampler: Object.freeze({ root, ratio, parentBased: samplerName.startsWith('parentbased_') }),
    exportDelayMs,
  });
}
