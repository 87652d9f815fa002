import type { IncomingHttpHeaders } from 'node:http';
import { type Attributes, type Context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ZodError } from 'zod';
import { AppError } from './app-error.js';

/**
 * Sextant's spans, over the OpenTelemetry API. The API is the port; the SDK behind it (an OTLP/HTTP
 * exporter, `tracing-sdk.ts`) is loaded only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Until then
 * every function here calls its callback and nothing else: no span objects, no header parsing,
 * so a server without tracing pays one boolean test per span site.
 *
 * The trace context travels explicitly (a `TraceContext` handed to children: in `Actor.trace`,
 * `InferOptions.trace`, a predictor call), not in AsyncLocalStorage: on Node 20 that keeps a hook
 * on every promise of the process, which cost a 1-row request more than its spans did.
 */
let on = false;
const tracer = trace.getTracer('sextant');

/** Where a span sits in its trace; children are made under it. Opaque outside this module. */
export type TraceContext = Context;

/** True while an SDK is exporting Sextant's spans. */
export function tracingOn(): boolean {
  return on;
}

/** Switches the span sites on or off; called by `tracing-sdk.ts` only, after it registered or removed its provider. */
export function setTracing(value: boolean): void {
  on = value;
}

/** Marks a failure on a span: a caller's mistake (4xx) does not make it a failed span; a server span gets the status answered. */
function failed(span: Span, err: unknown, server: boolean): void {
  // A ZodError is a 400 wherever it is thrown (the server's error handler says so).
  const status = err instanceof AppError ? err.status : err instanceof ZodError ? 400 : 500;
  if (server) span.setAttribute('http.response.status_code', status);
  if (status >= 500) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
  }
  if (err instanceof AppError) span.setAttribute('sextant.error.code', err.code);
}

function finish<T>(span: Span, run: () => T, server: boolean): T {
  let result: T;
  try {
    result = run();
  } catch (err) {
    failed(span, err, server);
    span.end();
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v: unknown) => (span.end(), v),
      (err: unknown) => {
        failed(span, err, server);
        span.end();
        throw err;
      },
    ) as T;
  }
  span.end();
  return result;
}

/**
 * Runs `fn` inside a span, a child of `parent` (a new trace without one), when tracing is on;
 * calls `fn(undefined, undefined)` otherwise. `fn` gets the span and the context its own children
 * go under. A thrown error or rejected promise ends the span too (marked failed unless it is a
 * caller's 4xx).
 */
export function withSpan<T>(
  parent: TraceContext | undefined,
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined, context: TraceContext | undefined) => T,
  kind: SpanKind = SpanKind.INTERNAL,
): T {
  if (!on) return fn(undefined, undefined);
  const from = parent ?? ROOT_CONTEXT;
  const span = tracer.startSpan(name, { kind, attributes }, from);
  return finish(span, () => fn(span, trace.setSpan(from, span)), kind === SpanKind.SERVER);
}

/**
 * A server span for one incoming request, the child of the caller's W3C `traceparent` (and
 * `tracestate`) when it sent one, a new trace otherwise.
 */
export function withRequestSpan<T>(headers: IncomingHttpHeaders, name: string, attributes: Attributes, fn: (span: Span | undefined, context: TraceContext | undefined) => T): T {
  if (!on) return fn(undefined, undefined);
  return withSpan(propagation.extract(ROOT_CONTEXT, headers), name, attributes, fn, SpanKind.SERVER);
}

/**
 * A span under a `traceparent` Sextant kept (an event's), or a new trace without one: for work
 * done later than, and outside of, the request that caused it.
 */
export function withSpanUnder<T>(
  traceparent: string | undefined,
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined, context: TraceContext | undefined) => T,
  kind: SpanKind = SpanKind.INTERNAL,
): T {
  if (!on) return fn(undefined, undefined);
  return withSpan(traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : undefined, name, attributes, fn, kind);
}

/** Adds the `traceparent` (and `tracestate`) of `context` to outgoing headers when tracing is on. */
export function traceHeaders<H extends Record<string, string>>(context: TraceContext | undefined, headers: H): H {
  if (on && context) propagation.inject(context, headers);
  return headers;
}

/** The `traceparent` of `context`, to keep with work that outlives it (an event); undefined when tracing is off. */
export function traceparentOf(context: TraceContext | undefined): string | undefined {
  if (!on || !context) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context, carrier);
  return carrier.traceparent;
}

export { SpanKind };
export type { Span };
