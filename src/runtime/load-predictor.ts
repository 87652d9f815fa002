import type { ModelFormat, Signature } from '../contracts/versions.js';
import { linearPredictor, parseLinear } from './linear-predictor.js';
import { onnxPredictor } from './onnx-predictor.js';
import type { Predictor } from './predictor.js';
import { type OutboundFetch, outboundGuard } from '../shared/outbound-guard.js';
import { remotePredictor } from './remote-predictor.js';
import { parseXgboost, xgboostPredictor } from './xgboost-predictor.js';

/** What loading needs besides the artifact: how a `remote` model calls out (the configured outbound guard's fetch). */
export interface LoadOptions {
  fetch?: OutboundFetch;
}

/** Without a configured guard, a remote model may call loopback and public addresses only. */
let fallback: OutboundFetch | undefined;

/** Builds the predictor for an artifact of the given format. */
export async function loadPredictor(format: ModelFormat, bytes: Uint8Array, signature: Signature | null, options: LoadOptions = {}): Promise<Predictor> {
  switch (format) {
    case 'sextant-linear':
      return linearPredictor(parseLinear(bytes));
    case 'xgboost-json':
      return xgboostPredictor(parseXgboost(bytes), signature?.inputs.map((i) => ({ name: i.name, type: i.type })) ?? null);
    case 'onnx':
      return onnxPredictor(bytes, signature);
    case 'remote':
      return remotePredictor(bytes, signature, options.fetch ?? (fallback ??= outboundGuard(['loopback']).fetch));
  }
}
