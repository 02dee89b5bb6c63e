/**
 * A controller's expectations (client-go's ControllerExpectations): what it wrote and has not yet
 * seen in its informers' cache. Until the cache shows every write, the controller must not act
 * on the cache again for that key — it would create the pod it just created a second time. A
 * restarted controller starts without expectations, on caches listed after its last writes.
 *
 * Each expectation is a check of the cache (`seen`), run when the controller asks; one not met
 * within `EXPECTATIONS_TIMEOUT_MS` is dropped (a write whose event was lost must not stall the
 * key forever; client-go waits five minutes too).
 */

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  seen: () => boolean;
  since: number;
}

export class Expectations {
  readonly #pending = new Map<string, Expectation[]>();

  /** Records a write of `key`'s whose effect `seen` recognizes in the cache. */
  expect(key: string, seen: () => boolean): void {
    const list = this.#pending.get(key) ?? [];
    list.push({ seen, since: Date.now() });
    this.#pending.set(key, list);
  }

  /** Whether the cache shows every write of `key`'s (those it shows are forgotten). */
  satisfied(key: string): boolean {
    const now = Date.now();
    const left = (this.#pending.get(key) ?? []).filter((e) => !e.seen() && now - e.since < EXPECTATIONS_TIMEOUT_MS);
    if (left.length === 0) this.#pending.delete(key);
    else this.#pending.set(key, left);
    return left.length === 0;
  }

  forget(key: string): void {
    this.#pending.delete(key);
  }
}
