/**
 * Runs `pass` every `ms` without ever overlapping two passes: a pass that outlasts the interval
 * makes the next tick skip instead of piling work up on the event loop and the database
 * connection. Errors go to `onError`. The timer does not keep the process alive.
 */
export function periodic(pass: () => Promise<unknown>, ms: number, onError: (err: unknown) => void): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    pass()
      .catch(onError)
      .finally(() => (busy = false));
  }, ms);
  timer.unref();
  return timer;
}
