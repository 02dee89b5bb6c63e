/**
 * The `Client` of src/client/client.ts over the stores of an API server in the same process: what
 * a seed's own controllers use on the seed's API server. Requests go through the same generic
 * store as HTTP requests (strategies, validation, admission), as `ctx`'s user, without HTTP,
 * serialization or authorization (controllers act as the server's system user).
 */
import { isAlreadyExists } from '../api/errors.js';
import type { KubeList, KubeObject } from '../api/meta.js';
import { partialObjectMetadataList } from '../api/partial-object-metadata.js';
import type { ResourceRef } from '../api/resource-ref.js';
import {
  type Client,
  checked,
  checkedList,
  checkedWatch,
  type DeleteOptions,
  ignoreNotFound,
  type ListOptions,
  type NewObject,
  type ObjectWatch,
  type PatchOptions,
  partialMetadataWatch,
  type ResourceClient,
  type WatchOptions,
  type WriteOptions,
  withTypeMeta,
} from '../client/client.js';
import type { GenericStore, RequestContext } from './registry/generic-store.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

/** Finds the store serving a resource; throws when the server does not serve it. */
export type StoreLookup = (group: string, plural: string) => GenericStore;

export class InProcessClient implements Client {
  readonly #stores: StoreLookup;
  readonly #ctx: RequestContext;

  constructor(stores: StoreLookup, ctx: RequestContext) {
    this.#stores = stores;
    this.#ctx = ctx;
  }

  resource<T extends KubeObject>(ref: ResourceRef<T>): ResourceClient<T> {
    return new StoreResourceClient(this.#stores(ref.group, ref.plural), ref, this.#ctx);
  }
}

/** The objects of one store, each checked by the resource's guard (`checked`) on its way out. */
class StoreResourceClient<T extends KubeObject> implements ResourceClient<T> {
  readonly resource: ResourceRef<T>;
  readonly #store: GenericStore;
  readonly #ctx: RequestContext;

  constructor(store: GenericStore, resource: ResourceRef<T>, ctx: RequestContext) {
    this.#store = store;
    this.resource = resource;
    this.#ctx = ctx;
  }

  async get(namespace: string, name: string): Promise<T> {
    return checked(this.resource, await this.#store.get(namespace, name));
  }

  find(namespace: string, name: string): Promise<T | null> {
    return this.get(namespace, name).catch(ignoreNotFound);
  }

  async list(namespace: string, options: ListOptions = {}): Promise<KubeList<T>> {
    const list = await this.#store.list(namespace, {
      ...this.#selectors(options),
      limit: options.limit,
      continue: options.continue,
    });
    if (options.metadataOnly) return partialObjectMetadataList(list) as KubeList<T>;
    return checkedList(this.resource, list);
  }

  async watch(namespace: string, options: WatchOptions = {}): Promise<ObjectWatch<T>> {
    const watch = await this.#store.watch(namespace, {
      ...this.#selectors(options),
      resourceVersion: options.resourceVersion,
    });
    if (options.metadataOnly) return partialMetadataWatch(watch) as ObjectWatch<T>;
    return checkedWatch(this.resource, watch);
  }

  async create(namespace: string, obj: NewObject<T>): Promise<T> {
    return checked(this.resource, await this.#store.create(namespace, withTypeMeta(this.resource, obj), this.#ctx));
  }

  async createIfAbsent(namespace: string, obj: NewObject<T>): Promise<T> {
    try {
      return await this.create(namespace, obj);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return this.get(namespace, obj.metadata.name ?? '');
    }
  }

  async update(namespace: string, obj: T, options: WriteOptions = {}): Promise<T> {
    const name = obj.metadata.name ?? '';
    const body = withTypeMeta(this.resource, obj);
    return checked(
      this.resource,
      await this.#store.update(namespace, name, options.subresource ?? '', body, this.#ctx),
    );
  }

  async patch(namespace: string, name: string, patch: unknown, options: PatchOptions = {}): Promise<T> {
    const { subresource = '', type = 'merge' } = options;
    return checked(this.resource, await this.#store.patch(namespace, name, subresource, type, patch, this.#ctx));
  }

  async delete(namespace: string, name: string, options: DeleteOptions = {}): Promise<void> {
    await this.#store.delete(namespace, name, this.#ctx, options);
  }

  async deleteIfPresent(namespace: string, name: string, options: DeleteOptions = {}): Promise<void> {
    await this.delete(namespace, name, options).catch(ignoreNotFound);
  }

  #selectors(options: ListOptions) {
    return {
      labelSelector: parseLabelSelector(options.labelSelector ?? null),
      fieldSelector: parseFieldSelector(options.fieldSelector ?? null, this.#store.selectableFieldNames()),
    };
  }
}
