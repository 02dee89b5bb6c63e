/**
 * One object's successive versions, as a reflector follows them: a read, then a watch from its
 * resourceVersion, opened again from the last one seen when the server ends it; read afresh after
 * a 410 or a failure. A garden that cannot be reached for a while (a restart during a 30-minute
 * move) is retried, each failure reported through `onRetry`, for as long as the caller lets it:
 * following a move must not fail for a blip. Refusals that no retry changes (403, a kind the garden
 * does not serve) end it with their error.
 */
import { isStatusError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceClient } from '../client/client.js';

export interface WatchObjectOptions {
  /** Ends the following (the generator returns). */
  signal: AbortSignal;
  /** Told each failure that will be retried. */
  onRetry?: (err: unknown) => void;
  /** The first wait after a failure, doubled up to 5 s (default 500 ms). */
  retryMs?: number;
  /** A version the caller read already (a create's answer): watched from, not read again. */
  from?: KubeObject;
}

/**
 * Yields the object as read and as each watch event delivers it, `null` once it is gone (and then
 * returns). Versions may repeat after a re-read; callers compare what they show.
 */
export async function* watchObject<T extends KubeObject>(
  resources: ResourceClient<T>,
  namespace: string,
  name: string,
  options: WatchObjectOptions,
): AsyncGenerator<T | null> {
  const { signal } = options;
  const firstWaitMs = options.retryMs ?? 500;
  let waitMs = firstWaitMs;
  let resourceVersion = options.from?.metadata.resourceVersion;
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const obj = await unlessAborted(resources.find(namespace, name), signal);
        if (obj === ABORTED) return;
        yield obj;
        if (obj === null) return;
        resourceVersion = obj.metadata.resourceVersion ?? '';
      }
      const watch = await unlessAborted(
        resources.watch(namespace, {
          fieldSelector: `metadata.name=${name}`,
          resourceVersion,
          allowWatchBookmarks: true,
        }),
        signal,
        (late) => late.stop(),
      );
      if (watch === ABORTED) return;
      const stop = () => watch.stop();
      signal.addEventListener('abort', stop, { once: true });
      const openedAt = Date.now();
      try {
        for await (const event of watch) {
          if (event.type === 'BOOKMARK') {
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            continue;
          }
          if (event.object.metadata.name !== name) continue;
          if (event.type === 'DELETED') {
            yield null;
            return;
          }
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
          waitMs = firstWaitMs;
          yield event.object;
        }
      } finally {
        signal.removeEventListener('abort', stop);
        watch.stop();
      }
      // The server ended the watch (its timeout): opened again from where it stopped. One that
      // ends at once each time (a proxy that cuts streams) degrades to reading every 500 ms.
      if (Date.now() - openedAt < POLL_MS) {
        await sleep(POLL_MS, signal);
        resourceVersion = undefined;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!retryable(err)) throw err;
      // 410: the resourceVersion is too old to watch from; anything else: read afresh too.
      resourceVersion = undefined;
      if (!gone(err)) {
        options.onRetry?.(err);
        await sleep(waitMs, signal);
        waitMs = Math.min(waitMs * 2, 5000);
      }
    }
  }
}

const POLL_MS = 500;

const ABORTED = Symbol('aborted');

/**
 * `promise`, or ABORTED as soon as `signal` is: a request the garden does not answer (a watch
 * whose headers never come) must not hold up a Ctrl-C or a timeout. What it resolves to later is
 * given to `discard`; the client's close ends the request itself.
 */
function unlessAborted<V>(
  promise: Promise<V>,
  signal: AbortSignal,
  discard: (late: V) => void = () => undefined,
): Promise<V | typeof ABORTED> {
  if (signal.aborted) {
    promise.then(discard, () => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.then(discard, () => undefined);
      resolve(ABORTED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) discard(value);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function gone(err: unknown): boolean {
  return isStatusError(err) && (err.code === 410 || err.reason === 'Gone' || err.reason === 'Expired');
}

/** A failure a later try may not meet: no answer, 410, 429, 5xx; a MalformedObjectError is not. */
function retryable(err: unknown): boolean {
  if (!isStatusError(err)) return false;
  return gone(err) || err.code === 429 || err.code >= 500;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
