import { z } from 'zod';
import type { Signature } from '../contracts/versions.js';
import { AppError } from '../shared/app-error.js';
import type { OutboundFetch, OutboundGuard } from '../shared/outbound-guard.js';
import { SpanKind, type TraceContext, traceHeaders, tracingOn, withSpan } from '../shared/tracing.js';
import type { FeatureBatch, OutputTensor, PredictCall, Predictor } from './predictor.js';

/** The `remote` artifact: where the model is served and which protocol it speaks. */
export const RemoteSpec = z
  .object({
    format: z.literal('remote').optional(),
    url: z.string().url(),
    protocol: z.enum(['v2', 'mlflow']),
    features: z.array(z.string().min(1)).min(1).optional(),
    timeoutMs: z.number().int().min(1).max(600_000).default(5000),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const V2Response = z.object({
  outputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()), data: z.array(z.unknown()) })),
});
const MlflowResponse = z.object({ predictions: z.array(z.unknown()) });

function columnsToRows(batch: FeatureBatch): unknown[][] {
  return Array.from({ length: batch.rows }, (_, r) => batch.columns.map((c) => {
    const v = c[r];
    return typeof v === 'number' && Number.isNaN(v) ? null : v;
  }));
}

/** A remote artifact read back from the blob store is refused above this size: it is a few lines of JSON. */
const MAX_REMOTE_ARTIFACT_BYTES = 64 * 1024;

function parseRemote(bytes: Uint8Array): z.infer<typeof RemoteSpec> {
  try {
    return RemoteSpec.parse(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (err) {
    throw new AppError('invalid_argument', `remote artifact: ${(err as Error).message.slice(0, 300)}`, { field: 'file' });
  }
}

/**
 * Checks a `remote` artifact about to be registered: valid, and its URL one Sextant may call
 * (a 400 naming `file.url` otherwise); the URL is checked again at every connection.
 */
export async function checkRemoteArtifact(size: number, read: () => Promise<Uint8Array>, guard: Pick<OutboundGuard, 'check'>): Promise<void> {
  if (size > MAX_REMOTE_ARTIFACT_BYTES) throw new AppError('invalid_argument', `remote artifact: ${size} bytes; a remote artifact is a small JSON document (at most ${MAX_REMOTE_ARTIFACT_BYTES} bytes)`, { field: 'file' });
  await guard.check(parseRemote(await read()).url, 'file.url');
}

/**
 * A model served elsewhere (a Python container, Triton, another Sextant), called over Open
 * Inference Protocol v2 or the MLflow scoring protocol, so Sextant can route, log and monitor it.
 */
export function remotePredictor(bytes: Uint8Array, signature: Signature | null, fetch: OutboundFetch): Predictor {
  const spec = parseRemote(bytes);
  const names = spec.features ?? signature?.inputs.map((i) => i.name);
  if (!names) throw new AppError('invalid_argument', 'remote artifact: list "features" or register the version with a signature');
  /** Posts a body and reads the answer with `schema`; anything but a 2xx of that shape is the remote's fault, a 503. */
  const call = async <S extends z.ZodType>(body: unknown, schema: S, trace?: TraceContext): Promise<z.output<S>> => {
    let res: Response;
    try {
      res = await fetch(spec.url, {
        method: 'POST',
        // The client span's traceparent, so the remote model's spans join the caller's trace.
        headers: traceHeaders(trace, { 'content-type': 'application/json', ...spec.headers }),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(spec.timeoutMs),
      });
    } catch (err) {
      throw new AppError('unavailable', `remote model at ${spec.url} did not answer: ${(err as Error).message}`, undefined, { cause: err });
    }
    if (!res.ok) throw new AppError('unavailable', `remote model at ${spec.url} answered HTTP ${res.status}`);
    const answer = schema.safeParse(await res.json().catch(() => undefined));
    if (!answer.success) throw new AppError('unavailable', `remote model at ${spec.url} answered with a body that is not a ${spec.protocol} prediction`);
    return answer.data;
  };
  /** `call` in a client span when tracing is on. */
  const post = <S extends z.ZodType>(body: unknown, schema: S, parent: TraceContext | undefined): Promise<z.output<S>> =>
    tracingOn() && parent
      ? withSpan(parent, 'POST', { 'http.request.method': 'POST', 'url.full': spec.url, 'sextant.remote.protocol': spec.protocol }, (_span, trace) => call(body, schema, trace), SpanKind.CLIENT)
      : call(body, schema);
  return {
    format: 'remote',
    features: names.map((name) => ({ name, type: 'double' as const })),
    outputs: [{ name: 'prediction', datatype: 'FP64', shape: [-1] }],
    acceptsMissing: true,
    bytes: 1024,
    async predict(batch: FeatureBatch, predictCall?: PredictCall): Promise<OutputTensor[]> {
      const rows = columnsToRows(batch);
      if (spec.protocol === 'v2') {
        const r = await post({ inputs: [{ name: 'input-0', shape: [batch.rows, names.length], datatype: 'FP64', data: rows.flat() }] }, V2Response, predictCall?.trace);
        return r.outputs.map((o) => ({ name: o.name, datatype: o.datatype as OutputTensor['datatype'], shape: o.shape, data: o.data as number[] }));
      }
      const r = await post({ dataframe_split: { columns: names, data: rows } }, MlflowResponse, predictCall?.trace);
      const width = Array.isArray(r.predictions[0]) ? (r.predictions[0] as unknown[]).length : 0;
      return [{ name: 'prediction', datatype: 'FP64', shape: width ? [batch.rows, width] : [batch.rows], data: (width ? r.predictions.flat() : r.predictions) as number[] }];
    },
    release: async () => {},
  };
}
