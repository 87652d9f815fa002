/** Thrown by the SDK for any non-2xx answer, carrying the server's error code and request id. */
export class SextantError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'SextantError';
  }
}
