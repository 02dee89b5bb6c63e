/**
 * What a controller is still waiting to see in its informer's cache after its own creates and
 * deletes (client-go's ControllerExpectations / UIDTrackingControllerExpectations): until the
 * cache shows them, a reconcile would count from a stale view and create or delete the same
 * pods again. Kept by object name, checked against the lister (level, not events), so it holds
 * whatever order the watch delivers in. Lost on restart, which is safe: a new controller manager
 * starts from freshly listed caches.
 */
import type { KubeObject } from '../../../api/meta.js';
import type { Lister } from '../../../controller/shared-informers.js';

/** After this, a pending expectation is given up (its event may have been lost): Kubernetes' 5 minutes. */
const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Pending {
  creates: Set<string>;
  deletes: Set<string>;
  since: number;
}

export class Expectations {
  readonly #pending = new Map<string, Pending>();
  readonly #lister: Lister<KubeObject>;

  /** `lister` is the cache of the objects the controller creates and deletes. */
  constructor(lister: Lister<KubeObject>) {
    this.#lister = lister;
  }

  #entry(key: string): Pending {
    let entry = this.#pending.get(key);
    if (!entry) {
      entry = { creates: new Set(), deletes: new Set(), since: Date.now() };
      this.#pending.set(key, entry);
    }
    entry.since = Date.now();
    return entry;
  }

  /** `controller` created `namespace/name`: wait until the cache has it. */
  created(controller: string, namespace: string, name: string): void {
    this.#entry(controller).creates.add(`${namespace}/${name}`);
  }

  /** `controller` deleted `namespace/name`: wait until the cache no longer has it alive. */
  deleted(controller: string, namespace: string, name: string): void {
    this.#entry(controller).deletes.add(`${namespace}/${name}`);
  }

  /** Whether the cache shows everything `controller` did; forgets what it shows. */
  satisfied(controller: string): boolean {
    const entry = this.#pending.get(controller);
    if (!entry) return true;
    const cached = (id: string) => {
      const [namespace = '', name = ''] = id.split('/');
      return this.#lister.get(namespace, name);
    };
    for (const id of entry.creates) if (cached(id)) entry.creates.delete(id);
    for (const id of entry.deletes) if (!cached(id) || cached(id)?.metadata.deletionTimestamp) entry.deletes.delete(id);
    const done = entry.creates.size === 0 && entry.deletes.size === 0;
    if (done || Date.now() - entry.since > EXPECTATIONS_TIMEOUT_MS) {
      this.#pending.delete(controller);
      return true;
    }
    return false;
  }

  /** The controller's object is gone: nothing to wait for. */
  forget(controller: string): void {
    this.#pending.delete(controller);
  }
}
