import { AppError } from '../shared/app-error.js';

/** Why a request was shed: its serving process was at its in-flight bound, or its batch queue was full. */
export type ShedReason = 'inflight' | 'batch_queue';

/**
 * A 429 (`resource_exhausted`): the caller should back off and retry, and the request did no work.
 * Answered at once, so a slow model makes callers wait no longer than it takes it to answer the
 * requests already admitted, instead of an ever longer queue.
 */
export class Overloaded extends AppError {
  constructor(
    readonly reason: ShedReason,
    message: string,
  ) {
    super('resource_exhausted', message, { reason });
    this.name = 'Overloaded';
  }
}
