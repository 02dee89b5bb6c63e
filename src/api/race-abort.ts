/**
 * Waiting that an abort ends at once, for calls that take no signal themselves (a store listing
 * stuck on connect timeouts, a step's work): the call goes on in the background, its outcome is
 * dropped.
 */

/** `promise`, or a rejection with `signal.reason` once `signal` aborts first. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {}); // a rejection after the abort won must not go unhandled
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
