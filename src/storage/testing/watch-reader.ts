/**
 * Reading a watcher in a test without losing events or hanging: `readEvents` takes a number of
 * events or asserts that none comes, each within a timeout, through one iterator so that a read
 * that timed out is picked up by the next.
 */
import assert from 'node:assert/strict';
import type { StoreEvent, Watcher } from '../interface.js';

/** How long a watch case waits for an event before failing. */
export const EVENT_TIMEOUT_MS = 5_000;
/** How long a watch must stay silent to count as delivering nothing more. */
const QUIET_MS = 100;

type Summary = [StoreEvent['type'], string, string | undefined];

/** Type, key and resourceVersion of each event; checks on the way that revision and resourceVersion agree. */
export function summarize(events: StoreEvent[]): Summary[] {
  return events.map((e) => {
    assert.equal(e.object.metadata.resourceVersion, String(e.revision), 'event revision and object resourceVersion');
    return [e.type, e.key, e.object.metadata.resourceVersion];
  });
}

const TIMED_OUT = Symbol('timed out');

/**
 * Reads a watcher through one iterator. A read that timed out stays pending and is reused by the
 * next read, so waiting never loses an event.
 */
export function readEvents(watcher: Watcher) {
  const iterator = watcher[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<StoreEvent>> | undefined;
  const next = async (ms: number) => {
    pending ??= iterator.next();
    const result = await raceTimeout(pending, ms);
    if (result !== TIMED_OUT) pending = undefined;
    return result;
  };
  return {
    async take(count: number): Promise<StoreEvent[]> {
      const events: StoreEvent[] = [];
      while (events.length < count) {
        const result = await next(EVENT_TIMEOUT_MS);
        if (result === TIMED_OUT) assert.fail(`timed out after ${events.length} of ${count} events`);
        if (result.done) assert.fail(`the watch ended after ${events.length} of ${count} events`);
        events.push(result.value);
      }
      return events;
    },
    async expectQuiet(): Promise<void> {
      const result = await next(QUIET_MS);
      if (result !== TIMED_OUT) assert.fail(`unexpected ${JSON.stringify(result)}`);
    },
    stop: () => watcher.stop(),
  };
}

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function withTimeout(promise: Promise<unknown>, ms: number, message: string): Promise<void> {
  if ((await raceTimeout(promise, ms)) === TIMED_OUT) assert.fail(message);
}

export async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
