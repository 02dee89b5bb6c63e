/**
 * Where and how a resource's objects are stored, and the verbs that only read them: the keys
 * (`/registry/…`), the storage version an object is converted from and to, and get, list (also
 * as raw JSON) and watch with their selectors. The generic store (generic-store.ts) writes through
 * the same keys and conversions.
 */
import { type GroupResource, invalid } from '../../api/errors.js';
import type { KubeList, KubeObject, WatchEvent } from '../../api/meta.js';
import {
  type Storage,
  type StoreEvent,
  type StoreProgress,
  type Watcher,
  watchWithProgress,
} from '../../storage/interface.js';
import { interpretGetError, interpretListError, interpretWatchError } from '../../storage/interpret-errors.js';
import type { FieldSelector, LabelSelector } from '../selectors.js';
import { apiVersionOf, type ResourceDefinition } from '../types.js';
import { nameKeyFilter, selectionPredicate } from './selection-predicate.js';
import { type ResourceWatch, shapeWatchEvent } from './watch-events.js';

export interface ListQuery {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continue?: string;
}

export interface WatchQuery {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  resourceVersion?: string;
  /**
   * Also yield the watch's progress, where the store tells it, as BOOKMARK events (an object with
   * only `metadata.resourceVersion`): every change up to there has been seen, matching or not.
   */
  progress?: boolean;
}

export class ResourceStorage {
  readonly def: ResourceDefinition;
  readonly ref: GroupResource;
  readonly storage: Storage;

  constructor(def: ResourceDefinition, storage: Storage) {
    this.def = def;
    this.ref = { group: def.group, resource: def.plural };
    this.storage = storage;
  }

  get apiVersion(): string {
    return apiVersionOf(this.def);
  }

  /** `/registry/<plural>/…` for the core group, `/registry/<group>/<plural>/…` otherwise (of the storage resource, if another). */
  keyPrefix(namespace: string): string {
    const { group, plural } = this.def.storageResource ?? this.def;
    const base = group ? `/registry/${group}/${plural}/` : `/registry/${plural}/`;
    return this.def.namespaced && namespace ? `${base}${namespace}/` : base;
  }

  key(namespace: string, name: string): string {
    return `${this.keyPrefix(namespace)}${name}`;
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    try {
      return this.present(await this.storage.get(this.key(namespace, name)));
    } catch (err) {
      throw interpretGetError(err, this.ref, name);
    }
  }

  async list(namespace: string, query: ListQuery): Promise<KubeList> {
    const predicate = this.#predicateOf(query);
    try {
      const result = await this.storage.list(this.keyPrefix(namespace), {
        predicate,
        keyFilter: nameKeyFilter(query.fieldSelector),
        limit: query.limit,
        continue: query.continue,
      });
      const metadata: KubeList['metadata'] = { resourceVersion: result.resourceVersion };
      if (result.continue) metadata.continue = result.continue;
      if (result.remainingItemCount !== undefined && predicate === undefined) {
        metadata.remainingItemCount = result.remainingItemCount;
      }
      return {
        apiVersion: this.apiVersion,
        kind: this.def.listKind,
        metadata,
        items: result.items.map((item) => this.present(item)),
      };
    } catch (err) {
      throw interpretListError(err, this.ref);
    }
  }

  /**
   * A list as JSON text without decoding the objects, when the backend keeps them as JSON and
   * nothing needs filtering: `head` + items joined by commas + `tail` is the list document.
   * Undefined when the fast path does not apply.
   */
  async listJson(
    namespace: string,
    query: ListQuery,
  ): Promise<{ head: string; items: string[]; tail: string } | undefined> {
    if (!this.storage.listRaw || this.def.conversion || query.labelSelector?.length || query.fieldSelector?.length) {
      return undefined;
    }
    let result: Awaited<ReturnType<NonNullable<Storage['listRaw']>>>;
    try {
      result = await this.storage.listRaw(this.keyPrefix(namespace), { limit: query.limit, continue: query.continue });
    } catch (err) {
      throw interpretListError(err, this.ref);
    }
    const metadata: KubeList['metadata'] = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata.continue = result.continue;
    if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
    const head = `{"apiVersion":${JSON.stringify(this.apiVersion)},"kind":${JSON.stringify(this.def.listKind)},"metadata":${JSON.stringify(metadata)},"items":[`;
    return { head, items: result.items, tail: ']}' };
  }

  /**
   * Watches the resource. Without a resourceVersion (or "0") the current objects come first as
   * ADDED events, as the Kubernetes watch cache does; with one, every later change is replayed.
   * An object that stops matching the selectors is reported DELETED, one that starts matching ADDED.
   */
  async watch(namespace: string, query: WatchQuery): Promise<ResourceWatch> {
    const predicate = this.#predicateOf(query) ?? (() => true);
    let initial: KubeObject[] = [];
    let from = query.resourceVersion;
    if (!from || from === '0') {
      const snapshot = await this.list(namespace, {
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
      });
      initial = snapshot.items;
      from = snapshot.metadata.resourceVersion;
    } else if (!/^\d+$/.test(from)) {
      throw invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [
        { type: 'FieldValueInvalid', path: 'resourceVersion', message: `Invalid value: "${from}": must be a number` },
      ]);
    }
    let source: Watcher<StoreEvent | StoreProgress>;
    try {
      const prefix = this.keyPrefix(namespace);
      const options = { resourceVersion: from };
      source = query.progress ? watchWithProgress(this.storage, prefix, options) : this.storage.watch(prefix, options);
    } catch (err) {
      throw interpretWatchError(err);
    }
    const present = (obj: KubeObject) => this.present(obj);
    async function* events(): AsyncGenerator<WatchEvent> {
      for (const object of initial) yield { type: 'ADDED', object };
      try {
        for await (const event of source) {
          if (event.type === 'PROGRESS') {
            yield { type: 'BOOKMARK', object: { metadata: { resourceVersion: String(event.revision) } } as KubeObject };
            continue;
          }
          const shaped = shapeWatchEvent(event, predicate);
          if (shaped) yield { type: shaped.type, object: present(shaped.object) };
        }
      } catch (err) {
        throw interpretWatchError(err);
      }
    }
    const iterator = events();
    return {
      [Symbol.asyncIterator]: () => iterator,
      stop: () => source.stop(),
    };
  }

  #predicateOf(query: { labelSelector?: LabelSelector; fieldSelector?: FieldSelector }) {
    return selectionPredicate(this.def, query.labelSelector, query.fieldSelector);
  }

  /** A stored object as this resource serves it: converted from the storage version when it differs. */
  present(stored: KubeObject): KubeObject {
    const obj = this.def.conversion ? this.def.conversion.fromStorage(stored) : stored;
    obj.apiVersion = this.apiVersion;
    obj.kind = this.def.kind;
    return obj;
  }

  /** An object of this resource's version as it is stored. */
  toStorage(obj: KubeObject): KubeObject {
    return this.def.conversion ? this.def.conversion.toStorage(obj) : obj;
  }
}
