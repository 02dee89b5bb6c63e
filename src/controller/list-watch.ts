/**
 * Where an informer reads from: a store in the same process or an API server over the REST
 * client. Both give a list with its resourceVersion and a watch from there.
 */
import type { KubeList, WatchEvent } from '../api/meta.js';
import type { GenericStore } from '../apiserver/registry/generic-store.js';
import type { ListOptions, ResourceClient } from '../client/rest-client.js';

export interface ListWatch {
  list(): Promise<KubeList>;
  watch(resourceVersion: string): Promise<AsyncIterable<WatchEvent> & { stop(): void }>;
}

/** All objects of a store's resource (in `namespace`, or everywhere when empty). */
export function storeListWatch(store: GenericStore, namespace = ''): ListWatch {
  return {
    list: () => store.list(namespace, {}),
    watch: (resourceVersion) => store.watch(namespace, { resourceVersion }),
  };
}

/** All objects of a remote resource matching `options`, with bookmarks to keep resuming cheap. */
export function clientListWatch(resource: ResourceClient, namespace = '', options: ListOptions = {}): ListWatch {
  return {
    list: () => resource.list(namespace, options),
    watch: (resourceVersion) =>
      resource.watch(namespace, { ...options, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 }),
  };
}
