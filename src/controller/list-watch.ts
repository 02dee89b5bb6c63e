/**
 * Where an informer reads from: the objects of one resource through a `Client`, whether its store
 * is in the same process or behind HTTPS — a list with its resourceVersion and a watch from there.
 */
import { type KubeList, type KubeObject, resourceVersionOrder, type WatchEvent } from '../api/meta.js';
import { type ResourceRef, unchecked } from '../api/resource-ref.js';
import type { Client, ListOptions, ResourceClient } from '../client/client.js';

/** Lists and watches objects. */
export interface ListWatch<T extends KubeObject = KubeObject> {
  list(): Promise<KubeList<T>>;
  watch(resourceVersion: string): Promise<AsyncIterable<WatchEvent<T>> & { stop(): void }>;
}

/**
 * All objects of resource `ref` (in `namespace`, or everywhere when empty) matching `options`,
 * read through `client` unchecked (`unchecked`, src/api/resource-ref.ts): an informer needs only
 * their keys, and one malformed object must not stop it for all the others. Over HTTPS the watch
 * asks for bookmarks and a server-side timeout, to keep resuming cheap; the in-process client has
 * no use for either. With `pageSize` the list is read in pages, as client-go's pager reads a
 * reflector's: no single answer holds more than a page.
 */
export function clientListWatch(
  client: Client,
  ref: ResourceRef,
  namespace = '',
  options: ListOptions = {},
  paging: { pageSize?: number } = {},
): ListWatch {
  const resource = client.resource(unchecked(ref));
  const { pageSize } = paging;
  return {
    list: () => (pageSize ? listInPages(resource, namespace, options, pageSize) : resource.list(namespace, options)),
    watch: (resourceVersion) =>
      resource.watch(namespace, { ...options, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 }),
  };
}

/**
 * Every object, read `pageSize` at a time (`limit` and `continue`): all pages are of the first
 * page's revision (the continue token holds it), so the whole is one list at that revision. A
 * continue token that expired fails the list (410), and the informer lists again.
 */
async function listInPages(
  resource: ResourceClient<KubeObject>,
  namespace: string,
  options: ListOptions,
  pageSize: number,
): Promise<KubeList> {
  let page = await resource.list(namespace, { ...options, limit: pageSize });
  const first = page;
  const items = [...page.items];
  while (page.metadata.continue) {
    page = await resource.list(namespace, { ...options, limit: pageSize, continue: page.metadata.continue });
    items.push(...page.items);
  }
  return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
}

/**
 * The objects of several list-watches as one source, each object once: a controller whose objects
 * match any of several selectors (e.g. shoots with `spec.seedName=<seed>` or
 * `status.seedName=<seed>`) still reconciles every key in one place, one at a time.
 *
 * The list is each source's list, an object listed twice kept at its newer resourceVersion; its
 * resourceVersion is the oldest of theirs, so watching all sources from there misses nothing
 * (events the other lists already covered arrive again, harmless to a level-triggered handler).
 * The watch merges the sources' watches and fails as soon as one of them ends: the informer then
 * lists again, since resuming every source from one resourceVersion could skip events of a
 * source that lagged behind.
 */
export function unionListWatch<T extends KubeObject>(...sources: readonly ListWatch<T>[]): ListWatch<T> {
  return {
    async list() {
      const lists = await Promise.all(sources.map((source) => source.list()));
      const byKey = new Map<string, T>();
      for (const item of lists.flatMap((list) => list.items)) {
        const key = `${item.metadata.namespace ?? ''}/${item.metadata.name ?? ''}`;
        const seen = byKey.get(key);
        if (
          !seen ||
          resourceVersionOrder(item.metadata.resourceVersion) > resourceVersionOrder(seen.metadata.resourceVersion)
        ) {
          byKey.set(key, item);
        }
      }
      const versions = lists.map((list) => list.metadata.resourceVersion ?? '');
      const oldest = versions.reduce((a, b) => (resourceVersionOrder(b) < resourceVersionOrder(a) ? b : a));
      return { ...lists[0]!, items: [...byKey.values()], metadata: { ...lists[0]!.metadata, resourceVersion: oldest } };
    },
    async watch(resourceVersion) {
      const watches = await Promise.all(sources.map((source) => source.watch(resourceVersion)));
      return mergeWatches(watches);
    },
  };
}

type Watch<T extends KubeObject> = AsyncIterable<WatchEvent<T>> & { stop(): void };

/** The events of all `watches` as they come; ends with an error when one ends before `stop()`. */
function mergeWatches<T extends KubeObject>(watches: readonly Watch<T>[]): Watch<T> {
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const watch of watches) watch.stop();
  };
  return {
    stop,
    async *[Symbol.asyncIterator]() {
      const iterators = watches.map((watch) => watch[Symbol.asyncIterator]());
      const next = (i: number) => {
        const step = iterators[i]!.next().then((result) => ({ i, result }));
        // Once the merged watch is over nobody awaits the others' next events: a watch stopped
        // then may reject, and that must not become an unhandled rejection.
        step.catch(() => undefined);
        return step;
      };
      const pending = new Map(iterators.map((_, i) => [i, next(i)]));
      try {
        while (!stopped) {
          const { i, result } = await Promise.race(pending.values());
          if (result.done) {
            if (stopped) return;
            throw new Error('one of the merged watches ended; list again');
          }
          pending.set(i, next(i));
          yield result.value;
        }
      } finally {
        stop();
      }
    },
  };
}
