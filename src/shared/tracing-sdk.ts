import type { Logger } from './logger.js';
import { setTracing } from './tracing.js';

/** The process's exporter, shared by every app it builds; shut down with the last of them. */
let running: { users: number; flush: () => Promise<void>; shutdown: () => Promise<void> } | null = null;

/** What the SDK needs to know (the `tracing` part of the server's configuration). */
export interface TracingOptions {
  /** The OTLP/HTTP traces URL. */
  endpoint: string;
  headers: Readonly<Record<string, string>>;
  serviceName: string;
  sampler: { root: 'always_on' | 'always_off' | 'ratio'; ratio: number; parentBased: boolean };
  exportDelayMs: number;
}

/** What `startTracing` hands its caller. */
export interface TracingHandle {
  /** Sends the spans that ended so far. */
  flush(): Promise<void>;
  /** Sends what is left and, for the last user in the process, removes the SDK. */
  close(): Promise<void>;
}

/**
 * Loads the OpenTelemetry SDK and registers it for this process: an OTLP/HTTP exporter (JSON
 * bodies) behind a batching span processor, and W3C trace context as the propagator (the context
 * itself travels explicitly, see `tracing.ts`). The SDK packages are imported here, on first use,
 * so a server without `OTEL_EXPORTER_OTLP_ENDPOINT` never loads them. Export failures are the
 * SDK's to log (it retries); they never fail a request.
 */
export async function startTracing(config: TracingOptions, logger: Logger): Promise<TracingHandle> {
  if (!running) {
    const [api, { W3CTraceContextPropagator }, { resourceFromAttributes }, sdk, { OTLPTraceExporter }] = await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
    const { sampler: s } = config;
    const root = s.root === 'always_on' ? new sdk.AlwaysOnSampler() : s.root === 'always_off' ? new sdk.AlwaysOffSampler() : new sdk.TraceIdRatioBasedSampler(s.ratio);
    const provider = new sdk.TracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName, 'process.pid': process.pid }),
      sampler: s.parentBased ? new sdk.ParentBasedSampler({ root }) : root,
      spanProcessors: [
        new sdk.BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers } }),
          scheduledDelayMillis: config.exportDelayMs,
        }),
      ],
    });
    // The SDK reports failed exports (a receiver down or refusing) through its diagnostics logger:
    // they reach Sextant's log as warnings, and never a request.
    const warn = (message: string, ...args: unknown[]) => logger.warn({ detail: args.map(String).join(' ').slice(0, 500) || undefined }, `tracing: ${String(message).slice(0, 300)}`);
    const quiet = () => {};
    api.diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, api.DiagLogLevel.WARN);
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
    setTracing(true);
    logger.info({ endpoint: config.endpoint, service: config.serviceName }, 'exporting traces over OTLP/HTTP');
    running = {
      users: 0,
      flush: () => provider.forceFlush(),
      shutdown: async () => {
        setTracing(false);
        await provider.shutdown();
        api.trace.disable();
        api.propagation.disable();
        api.diag.disable();
      },
    };
  }
  const shared = running;
  shared.users++;
  let closed = false;
  return {
    flush: () => shared.flush(),
    close: async () => {
      if (closed) return;
      closed = true;
      if (--shared.users > 0) return shared.flush();
      running = null;
      await shared.shutdown();
    },
  };
}
