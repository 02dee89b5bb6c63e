/**
 * One client interface for objects, whatever carries the requests (controller-runtime's
 * `client.Client`, client-go's dynamic `ResourceInterface`): controllers and gardenlet
 * components take a `Client` and do not know whether the store is in the same process
 * (`src/apiserver/in-process-client.ts`) or behind HTTPS (`src/client/rest-client.ts`).
 *
 * Both implementations answer failures with the server's `StatusError`, so `isNotFound()` and
 * friends work the same on either; `find`, `createIfAbsent` and `deleteIfPresent` spare callers
 * the NotFound/AlreadyExists handling, and `ignoreNotFound` covers the rest.
 *
 * Every object a client answers (get, find, list, watch, and what create, update and patch
 * return) goes through the resource's guard (`checked`): a typed kind comes back as its
 * interface, checked, or as a `MalformedObjectError` naming the field that did not match; a list
 * or watch with `metadataOnly` answers PartialObjectMetadata instead, unchecked.
 */
import { isNotFound } from '../api/errors.js';
import type { KubeList, KubeObject, ObjectMeta, WatchEvent } from '../api/meta.js';
import { partialObjectMetadata } from '../api/partial-object-metadata.js';
import { apiVersionOf, type ResourceRef } from '../api/resource-ref.js';
import { MalformedObjectError } from './malformed-object-error.js';

export type PatchType = 'merge' | 'json' | 'strategic';

export interface ListOptions {
  /** A label selector in Kubernetes' text form (`a=b,c in (d)`). */
  labelSelector?: string;
  /** A field selector in Kubernetes' text form (`spec.seedName=seed-a`). */
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /**
   * The objects' metadata only (`meta.k8s.io/v1` PartialObjectMetadata), as Kubernetes' metadata
   * client gets them: for a reader that needs no more, whatever the objects' size.
   */
  metadataOnly?: boolean;
}

export interface WatchOptions extends ListOptions {
  /** Events after this resourceVersion; empty or absent: from now on. */
  resourceVersion?: string;
  /** How long the server keeps the watch open (REST only; the in-process watch runs until stopped). */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export interface WriteOptions {
  /** `status` (or another subresource the kind serves) instead of the main resource. */
  subresource?: string;
}

export interface PatchOptions extends WriteOptions {
  /** Default `merge` (RFC 7386). */
  type?: PatchType;
}

export interface DeleteOptions {
  /** The delete happens only while the object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
  /** How its dependents go, where a garbage collector runs (a shoot's API): default Background. */
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  /** How long a pod may take to stop (its kind's default when absent); 0: gone at once (what a kubelet sends last). */
  gracePeriodSeconds?: number;
}

/** A running watch: events until the server ends it or `stop()` is called. */
export interface ObjectWatch<T extends KubeObject = KubeObject> extends AsyncIterable<WatchEvent<T>> {
  stop(): void;
}

/** What a create sends: an object of the kind, or just the fields the caller sets. */
export type NewObject<T extends KubeObject> = Partial<T> & { metadata: ObjectMeta };

/**
 * The objects of one resource. Namespaced resources take the namespace first; cluster-scoped
 * ones take `''`. `apiVersion` and `kind` of created and updated objects default to the
 * resource's own.
 */
export interface ResourceClient<T extends KubeObject = KubeObject> {
  readonly resource: ResourceRef<T>;
  /** The object, or a NotFound `StatusError`. */
  get(namespace: string, name: string): Promise<T>;
  /** The object, or null when it does not exist. */
  find(namespace: string, name: string): Promise<T | null>;
  list(namespace: string, options?: ListOptions): Promise<KubeList<T>>;
  watch(namespace: string, options?: WatchOptions): Promise<ObjectWatch<T>>;
  create(namespace: string, obj: NewObject<T>): Promise<T>;
  /** Creates the object unless one of that name exists; returns the stored one either way. */
  createIfAbsent(namespace: string, obj: NewObject<T>): Promise<T>;
  /** Replaces the object (or, with `subresource`, its part of it); a resourceVersion it carries is a precondition. */
  update(namespace: string, obj: T, options?: WriteOptions): Promise<T>;
  patch(namespace: string, name: string, patch: unknown, options?: PatchOptions): Promise<T>;
  /** Deletes the object (with finalizers it only gets a deletionTimestamp); NotFound when it is not there. */
  delete(namespace: string, name: string, options?: DeleteOptions): Promise<void>;
  /** Like `delete`, but an object that is already gone is fine. */
  deleteIfPresent(namespace: string, name: string, options?: DeleteOptions): Promise<void>;
}

/** Reads and writes objects of any resource the server serves. */
export interface Client {
  resource<T extends KubeObject>(ref: ResourceRef<T>): ResourceClient<T>;
}

/** For a `.catch`: null when `err` is a NotFound, else rethrows it (controller-runtime's `IgnoreNotFound`). */
export function ignoreNotFound(err: unknown): null {
  if (isNotFound(err)) return null;
  throw err;
}

/** `obj` with `apiVersion` and `kind` set from `ref` where it has none. */
export function withTypeMeta<T extends KubeObject>(ref: ResourceRef<T>, obj: NewObject<T> | T): T {
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(ref), kind: obj.kind ?? ref.kind } as T;
}

/**
 * `obj` as the resource's type: checked by the kind's guard when the reference has one (else, for
 * the untyped core and RBAC kinds, as it came); a `MalformedObjectError` when the guard refuses it.
 */
export function checked<T extends KubeObject>(ref: ResourceRef<T>, obj: unknown): T {
  const guard = ref.is;
  if (!guard) return obj as T;
  if (guard(obj)) return obj;
  throw new MalformedObjectError(ref, obj, guard.problem(obj) ?? 'not an object of the kind');
}

/** A list whose every item passed `checked`. */
export function checkedList<T extends KubeObject>(ref: ResourceRef<T>, list: KubeList): KubeList<T> {
  return { ...list, items: list.items.map((item) => checked(ref, item)) };
}

/** A watch whose events carry their objects' metadata only (PartialObjectMetadata), bookmarks included. */
export function partialMetadataWatch(watch: ObjectWatch): ObjectWatch {
  async function* events(): AsyncGenerator<WatchEvent> {
    for await (const event of watch) yield { ...event, object: partialObjectMetadata(event.object) };
  }
  const iterator = events();
  return { [Symbol.asyncIterator]: () => iterator, stop: () => watch.stop() };
}

/**
 * A watch whose objects pass `checked` (a bookmark carries only a resourceVersion and is passed
 * on as it is); a malformed object ends the watch with its `MalformedObjectError`.
 */
export function checkedWatch<T extends KubeObject>(ref: ResourceRef<T>, watch: ObjectWatch): ObjectWatch<T> {
  if (!ref.is) return watch as ObjectWatch<T>;
  async function* events(): AsyncGenerator<WatchEvent<T>> {
    try {
      for await (const event of watch) {
        yield event.type === 'BOOKMARK' ? (event as WatchEvent<T>) : { ...event, object: checked(ref, event.object) };
      }
    } catch (err) {
      watch.stop();
      throw err;
    }
  }
  const iterator = events();
  return { [Symbol.asyncIterator]: () => iterator, stop: () => watch.stop() };
}
