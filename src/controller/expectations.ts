/**
 * A controller's expectations (client-go's ControllerExpectations): what it wrote and has not yet
 * seen in its informers' cache. Until the cache shows every write, the controller must not act
 * on the cache again for that key — it would create the pod it just created a second time. A
 * restarted controller starts without expectations, on caches listed after its last writes.
 *
 * Each expectation is a check of the cache (`seen`), run when the controller asks (level, not
 * events: it holds whatever order the watch delivers in); one not met within
 * `EXPECTATIONS_TIMEOUT_MS` is dropped (a write whose event was lost must not stall the key
 * forever; client-go waits five minutes too). `ObjectExpectations` expects creates and deletes of
 * named objects in one lister (client-go's UIDTrackingControllerExpectations), as the ReplicaSet,
 * ReplicationController and DaemonSet controllers count their pods.
 */
import type { KubeObject } from '../api/meta.js';
import type { Lister } from './shared-informers.js';

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

  /** The key's object is gone: nothing to wait for. */
  forget(key: string): void {
    this.#pending.delete(key);
  }
}

/** Expectations of creates and deletes of named objects in one lister's cache. */
export class ObjectExpectations extends Expectations {
  readonly #lister: Lister<KubeObject>;

  /** `lister` is the cache of the objects the controller creates and deletes. */
  constructor(lister: Lister<KubeObject>) {
    super();
    this.#lister = lister;
  }

  /** `key` created `namespace/name`: wait until the cache has it. */
  created(key: string, namespace: string, name: string): void {
    this.expect(key, () => this.#lister.get(namespace, name) !== undefined);
  }

  /** `key` deleted `namespace/name`: wait until the cache no longer has it alive. */
  deleted(key: string, namespace: string, name: string): void {
    this.expect(key, () => {
      const cached = this.#lister.get(namespace, name);
      return !cached || Boolean(cached.metadata.deletionTimestamp);
    });
  }
}
