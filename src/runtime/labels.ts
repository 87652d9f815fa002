import type { Datatype } from './predictor.js';

export type Label = number | string;

export function classLabels(classes: readonly (number | string)[]): Label[] {
  return [...classes];
}

/** Integer labels travel as INT64, anything else as BYTES (strings). */
export function labelDatatype(labels: readonly Label[]): Datatype {
  return labels.every((l) => typeof l === 'number' && Number.isInteger(l)) ? 'INT64' : 'BYTES';
}
