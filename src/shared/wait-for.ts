import { AppError } from './app-error.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` every `everyMs` until it returns something truthy, and returns that; after `ms`
 * fails with an `unavailable` error naming `what` (for clients waiting on a server's background work).
 */
export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new AppError('unavailable', `timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}
