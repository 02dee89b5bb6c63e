/**
 * Shared informers, as client-go's SharedInformerFactory: one list and one watch per resource for
 * all the controllers of a process, a cache of its objects every controller reads (`lister`), and
 * a `ListWatch` per controller fed from that cache (`source`), so that a controller is written as
 * if it had its own watch. Thirty shoots' controller managers on one seed hold one watch per
 * resource each, not one per controller and resource.
 *
 * A controller's source lists the cache and then watches the changes after that list. Positions
 * are this cache's own sequence numbers, not the server's resourceVersions: the cache may list
 * again after a broken watch, and its changes must still reach every controller in order and once.
 * A controller that falls behind the recent changes the cache keeps lists again.
 */
import type { KubeList, KubeObject, WatchEvent } from '../api/meta.js';
import { type ResourceRef, unchecked } from '../api/resource-ref.js';
import type { Client } from '../client/client.js';
import { Informer } from './informer.js';
import { clientListWatch, type ListWatch } from './list-watch.js';

/** The cached objects of one resource. */
export interface Lister<T extends KubeObject = KubeObject> {
  /** Every object, or those of `namespace`. */
  list(namespace?: string): T[];
  get(namespace: string, name: string): T | undefined;
}

/** How many recent changes a resource's cache keeps for controllers whose watch starts late. */
const RECENT_CHANGES = 4096;

type Watch<T> = AsyncIterable<WatchEvent<T>> & { stop(): void };

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** One resource's informer, cache and the watches of the controllers reading it. */
class SharedInformer<T extends KubeObject> implements Lister<T> {
  readonly #objects = new Map<string, T>();
  /** Changes after sequence number `#firstSeq - 1`, oldest first. */
  readonly #recent: WatchEvent<T>[] = [];
  #seq = 0;
  #firstSeq = 1;
  readonly #subscribers = new Set<(event: WatchEvent<T>) => void>();
  readonly #informer: Informer<T>;
  /** Rejects once the informer stops: whoever still waits for a first list that never came stops waiting. */
  readonly #stopped: Promise<never>;
  #markStopped!: (err: Error) => void;

  constructor(source: ListWatch<T>) {
    this.#stopped = new Promise<never>((_, reject) => {
      this.#markStopped = reject;
    });
    // Nobody need wait for it: it only ends the waits of `synced()`.
    this.#stopped.catch(() => undefined);
    this.#informer = new Informer<T>(source, {
      replace: (objects) => {
        const listed = new Set(objects.map(keyOf));
        for (const [key, obj] of this.#objects) {
          if (!listed.has(key)) this.#apply({ type: 'DELETED', object: obj });
        }
      },
      upsert: (obj) => {
        const seen = this.#objects.get(keyOf(obj));
        if (seen && seen.metadata.resourceVersion === obj.metadata.resourceVersion) return;
        this.#apply({ type: seen ? 'MODIFIED' : 'ADDED', object: obj });
      },
      remove: (obj) => {
        if (this.#objects.has(keyOf(obj))) this.#apply({ type: 'DELETED', object: obj });
      },
    });
  }

  start(): void {
    this.#informer.start();
  }

  stop(): void {
    this.#informer.stop();
    this.#subscribers.clear();
    this.#markStopped(new Error('the shared informer stopped before its first list'));
  }

  /**
   * Resolves once the first list is in the cache; rejects when the informer stops before that (a
   * failed list is retried only while it runs), so that a controller whose leader stepped down
   * does not wait, and keep its stop waiting, forever.
   */
  synced(): Promise<void> {
    return Promise.race([this.#informer.synced(), this.#stopped]);
  }

  list(namespace?: string): T[] {
    const all = [...this.#objects.values()];
    return namespace === undefined ? all : all.filter((obj) => (obj.metadata.namespace ?? '') === namespace);
  }

  get(namespace: string, name: string): T | undefined {
    return this.#objects.get(`${namespace}/${name}`);
  }

  /** A controller's view: the cache, then its changes from the position of that list. */
  source(): ListWatch<T> {
    return {
      list: async (): Promise<KubeList<T>> => {
        await this.synced();
        return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.#seq) }, items: this.list() };
      },
      watch: async (resourceVersion) => this.#watchFrom(Number(resourceVersion)),
    };
  }

  #apply(event: WatchEvent<T>): void {
    const key = keyOf(event.object);
    if (event.type === 'DELETED') this.#objects.delete(key);
    else this.#objects.set(key, event.object);
    this.#seq++;
    this.#recent.push(event);
    if (this.#recent.length > RECENT_CHANGES) {
      this.#recent.shift();
      this.#firstSeq++;
    }
    for (const subscriber of this.#subscribers) subscriber(event);
  }

  #watchFrom(seq: number): Watch<T> {
    if (!Number.isInteger(seq) || seq < this.#firstSeq - 1 || seq > this.#seq) {
      throw new Error(`position ${seq} is no longer in the cache's recent changes; list again`);
    }
    const queue: WatchEvent<T>[] = this.#recent.slice(seq - (this.#firstSeq - 1));
    let wake: (() => void) | undefined;
    let stopped = false;
    const subscriber = (event: WatchEvent<T>) => {
      queue.push(event);
      wake?.();
    };
    this.#subscribers.add(subscriber);
    const stop = () => {
      stopped = true;
      this.#subscribers.delete(subscriber);
      wake?.();
    };
    return {
      stop,
      async *[Symbol.asyncIterator]() {
        try {
          while (!stopped) {
            const event = queue.shift();
            if (event) {
              yield event;
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        } finally {
          stop();
        }
      },
    };
  }
}

function refKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.version}/${ref.plural}`;
}

/** The shared informers of one client: each resource's is started the first time it is asked for. */
export class SharedInformerFactory {
  readonly #client: Client;
  readonly #informers = new Map<string, SharedInformer<KubeObject>>();
  #stopped = false;

  constructor(client: Client) {
    this.#client = client;
  }

  /** A `Controller` source (or watch source) of every object of `ref`, from the shared cache. */
  source<T extends KubeObject>(ref: ResourceRef<T>): ListWatch<T> {
    return this.#informer(ref).source();
  }

  /** The cached objects of `ref`; empty until `synced(ref)` resolves. */
  lister<T extends KubeObject>(ref: ResourceRef<T>): Lister<T> {
    return this.#informer(ref);
  }

  /** Whether some controller reads `ref` through this factory already. */
  has(ref: ResourceRef): boolean {
    return this.#informers.has(refKey(ref));
  }

  /** Resolves once the cache of `ref` holds its first list. */
  synced(ref: ResourceRef): Promise<void> {
    return this.#informer(ref).synced();
  }

  /** Resolves once the caches of all of `refs` hold their first list (client-go's WaitForCacheSync). */
  async syncedAll(refs: readonly ResourceRef[]): Promise<void> {
    await Promise.all(refs.map((ref) => this.synced(ref)));
  }

  stop(): void {
    this.#stopped = true;
    for (const informer of this.#informers.values()) informer.stop();
    this.#informers.clear();
  }

  #informer<T extends KubeObject>(ref: ResourceRef<T>): SharedInformer<T> {
    const key = refKey(ref);
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new SharedInformer(clientListWatch(this.#client, unchecked(ref)));
      this.#informers.set(key, informer);
      // Asked for after `stop()` (by a reconcile that was already under way): stopped at once, so
      // that waiting for it ends instead of lasting forever.
      if (this.#stopped) informer.stop();
      else informer.start();
    }
    return informer as unknown as SharedInformer<T>;
  }
}
