import { z } from 'zod';
import type { Signature } from '../contracts/versions.js';
import { AppError } from '../shared/app-error.js';
import type { FeatureBatch, OutputTensor, Predictor } from './predictor.js';

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

/**
 * A model served elsewhere (a Python container, Triton, another Sextant), called over Open
 * Inference Protocol v2 or the MLflow scoring protocol, so Sextant can route, log and monitor it.
 */
export function remotePredictor(bytes: Uint8Array, signature: Signature | null): Predictor {
  let spec: z.infer<typeof RemoteSpec>;
  try {
    spec = RemoteSpec.parse(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (err) {
    throw new AppError('invalid_argument', `remote artifact: ${(err as Error).message.slice(0, 300)}`);
  }
  const names = spec.features ?? signature?.inputs.map((i) => i.name);
  if (!names) throw new AppError('invalid_argument', 'remote artifact: list "features" or register the version with a signature');
  const post = async (body: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(spec.timeoutMs),
      });
    } catch (err) {
      throw new AppError('unavailable', `remote model at ${spec.url} did not answer: ${(err as Error).message}`);
    }
    if (!res.ok) throw new AppError('unavailable', `remote model at ${spec.url} answered HTTP ${res.status}`);
    return res.json();
  };
  return {
    format: 'remote',
    features: names.map((name) => ({ name, type: 'double' as const })),
    outputs: [{ name: 'prediction', datatype: 'FP64', shape: [-1] }],
    acceptsMissing: true,
    bytes: 1024,
    async predict(batch: FeatureBatch): Promise<OutputTensor[]> {
      const rows = columnsToRows(batch);
      if (spec.protocol === 'v2') {
        const r = V2Response.parse(await post({ inputs: [{ name: 'input-0', shape: [batch.rows, names.length], datatype: 'FP64', data: rows.flat() }] }));
        return r.outputs.map((o) => ({ name: o.name, datatype: o.datatype as OutputTensor['datatype'], shape: o.shape, data: o.data as number[] }));
      }
      const r = MlflowResponse.parse(await post({ dataframe_split: { columns: names, data: rows } }));
      const width = Array.isArray(r.predictions[0]) ? (r.predictions[0] as unknown[]).length : 0;
      return [{ name: 'prediction', datatype: 'FP64', shape: width ? [batch.rows, width] : [batch.rows], data: (width ? r.predictions.flat() : r.predictions) as number[] }];
    },
    release: async () => {},
  };
}
