/**
 * The generic REST store (k8s registry/generic/registry/store.go): one CRUD engine for every
 * kind. Per-kind behaviour comes from the ResourceDefinition's strategies; what the API
 * conventions require of all kinds is applied here at fixed points of each verb, from the modules
 * beside it: server-owned metadata (system-metadata.ts), finalizers and deletionTimestamp
 * (deletion.ts), preconditions, subresource strategies, selectors and watch-event shaping, and
 * field ownership (`metadata.managedFields`, ../fieldmanager/): every write records its manager,
 * and `apply` is server-side apply. This file keeps the order of those steps, readable top to
 * bottom per verb.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  badRequest,
  conflict,
  type FieldError,
  type GroupResource,
  invalid,
  isAlreadyExists,
  isNotFound,
  type StatusError,
  unsupportedMediaType,
} from '../../api/errors.js';
import { deepCopy, isRecord, type KubeList, type KubeObject, type WatchEvent } from '../../api/meta.js';
import type { Preconditions, Storage } from '../../storage/interface.js';
import {
  interpretCreateError,
  interpretDeleteError,
  interpretGetError,
  interpretListError,
  interpretUpdateError,
  interpretWatchError,
} from '../../storage/interpret-errors.js';
import type { AdmissionChain } from '../admission.js';
import { FieldManager, type ManagedFieldsEntry, setManagedFields } from '../fieldmanager/field-manager.js';
import { applyPatch, type PatchType } from '../patch.js';
import type { FieldSelector, LabelSelector } from '../selectors.js';
import {
  type AdmissionAttributes,
  apiVersionOf,
  gvkOf,
  type Operation,
  type ResourceDefinition,
  type UserInfo,
} from '../types.js';
import { type ApplyOptions, type ApplyWrites, applyConfiguration, type Written } from './apply.js';
import {
  deletionComplete,
  deletionGracePeriod,
  inGracePeriod,
  markedForDeletion,
  markedForGracefulDeletion,
  type PropagationPolicy,
  pendingFinalizers,
  propagationFinalizer,
  validateFinalizersOnDeletion,
} from './deletion.js';
import { validateMetaOnCreate, validateMetaOnUpdate } from './object-meta.js';
import { checkPreconditions, preconditionsOfBody } from './preconditions.js';
import { checkNameMatches, decodeRequestObject } from './request-object.js';
import { selectableFieldNames, selectableFields, selectionPredicate } from './selection-predicate.js';
import { hasSubresource, strategyForSubresource } from './subresources.js';
import {
  bumpGenerationOnSpecChange,
  fillSystemMetadataOnCreate,
  keepSystemMetadataOnUpdate,
} from './system-metadata.js';
import { type ResourceWatch, shapeWatchEvent } from './watch-events.js';

export interface RequestContext {
  user: UserInfo;
  dryRun: boolean;
  /**
   * The manager the write's fields are recorded for (`metadata.managedFields`): the request's
   * `fieldManager`, else the prefix of its User-Agent; in-process clients name theirs.
   */
  fieldManager?: string;
  /**
   * What to do with fields the kind does not have (`fieldValidation`): they are dropped, and
   * Strict refuses the request naming them, Warn (the API's default) adds a warning to
   * `warnings`, Ignore (and in-process callers, who give none) says nothing.
   */
  fieldValidation?: FieldValidation;
  /** Warnings for the client (HTTP `Warning` headers), when the caller collects them. */
  warnings?: string[];
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export type { ApplyOptions } from './apply.js';

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
}

export interface DeleteOptions {
  preconditions?: Preconditions;
  /** Honoured by a garbage-collected store only (see the constructor); Background when absent. */
  propagationPolicy?: PropagationPolicy;
  /** For kinds with graceful deletion (pods): how long the object may take to stop; the kind's default when absent. */
  gracePeriodSeconds?: number;
}

/** How a store behaves beyond its kind's definition. */
export interface GenericStoreOptions {
  /**
   * A garbage collector runs for this server (a shoot's kube-controller-manager): a delete with
   * propagationPolicy Orphan or Foreground marks the object with the collector's finalizer, which
   * it removes once the dependents are orphaned or gone. Without one the policy is ignored, as
   * nothing would ever remove that finalizer.
   */
  garbageCollected?: boolean;
}

export class GenericStore {
  readonly def: ResourceDefinition;
  readonly ref: GroupResource;
  readonly #storage: Storage;
  readonly #admission: AdmissionChain;
  readonly #garbageCollected: boolean;
  readonly #fields: FieldManager;

  constructor(def: ResourceDefinition, storage: Storage, admission: AdmissionChain, options: GenericStoreOptions = {}) {
    this.def = def;
    this.ref = { group: def.group, resource: def.plural };
    this.#storage = storage;
    this.#admission = admission;
    this.#garbageCollected = options.garbageCollected === true;
    this.#fields = new FieldManager(def);
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

  hasSubresource(name: string): boolean {
    return hasSubresource(this.def, name);
  }

  /** The selectable fields of an object: metadata.name, metadata.namespace and the kind's own. */
  fieldsOf(obj: KubeObject): Record<string, string | undefined> {
    return selectableFields(this.def, obj);
  }

  selectableFieldNames(): string[] {
    return selectableFieldNames(this.def);
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    try {
      return this.#present(await this.#storage.get(this.key(namespace, name)));
    } catch (err) {
      throw interpretGetError(err, this.ref, name);
    }
  }

  /** The object, or undefined when there is none (for controllers, where absence is normal). */
  async find(namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.get(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Creates the object unless one of that name exists; deterministic names make this idempotent. */
  async createIfAbsent(namespace: string, obj: KubeObject, ctx: RequestContext): Promise<void> {
    try {
      await this.create(namespace, obj, ctx);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  /** Deletes the object; one that is already gone is fine. */
  async deleteIfPresent(namespace: string, name: string, ctx: RequestContext): Promise<void> {
    try {
      await this.delete(namespace, name, ctx, {});
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list(namespace: string, query: ListQuery): Promise<KubeList> {
    const predicate = this.#predicate(query);
    try {
      const result = await this.#storage.list(this.keyPrefix(namespace), {
        predicate,
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
        items: result.items.map((item) => this.#present(item)),
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
    if (!this.#storage.listRaw || this.def.conversion || query.labelSelector?.length || query.fieldSelector?.length) {
      return undefined;
    }
    let result: Awaited<ReturnType<NonNullable<Storage['listRaw']>>>;
    try {
      result = await this.#storage.listRaw(this.keyPrefix(namespace), { limit: query.limit, continue: query.continue });
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
    const predicate = this.#predicate(query) ?? (() => true);
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
    let source: ReturnType<Storage['watch']>;
    try {
      source = this.#storage.watch(this.keyPrefix(namespace), { resourceVersion: from });
    } catch (err) {
      throw interpretWatchError(err);
    }
    const present = (obj: KubeObject) => this.#present(obj);
    async function* events(): AsyncGenerator<WatchEvent> {
      for (const object of initial) yield { type: 'ADDED', object };
      try {
        for await (const event of source) {
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

  async create(namespace: string, body: KubeObject, ctx: RequestContext): Promise<KubeObject> {
    const obj = decodeRequestObject(this.def, body, namespace);
    this.#dropUnknownFields(obj, ctx);
    return this.#create(namespace, obj, this.#fields.update(undefined, obj, ctx.fieldManager ?? '', ''), ctx);
  }

  async #create(
    namespace: string,
    obj: KubeObject,
    managedFields: ManagedFieldsEntry[] | undefined,
    ctx: RequestContext,
  ): Promise<KubeObject> {
    const meta = obj.metadata;
    fillSystemMetadataOnCreate(meta);
    if (this.def.hasStatus !== false) delete obj.status;
    this.def.strategy.prepareForCreate?.(obj);
    setManagedFields(obj, managedFields);
    this.#validate(obj, [...validateMetaOnCreate(obj, this.def), ...(this.def.strategy.validate?.(obj) ?? [])]);
    await this.#runAdmission('CREATE', obj, undefined, '', ctx);
    this.def.strategy.canonicalize?.(obj);
    if (ctx.dryRun) return this.#present(obj);
    try {
      return this.#present(await this.#storage.create(this.key(namespace, meta.name!), this.#toStorage(obj)));
    } catch (err) {
      throw interpretCreateError(err, this.ref, meta.name!);
    }
  }

  /** PUT: replaces the object (or its subresource's part of it). */
  async update(
    namespace: string,
    name: string,
    subresource: string,
    body: KubeObject,
    ctx: RequestContext,
  ): Promise<KubeObject> {
    const incoming = decodeRequestObject(this.def, body, namespace);
    this.#dropUnknownFields(incoming, ctx);
    checkNameMatches(incoming, name);
    const preconditions = preconditionsOfBody(incoming);
    return this.#guaranteedUpdate(
      namespace,
      name,
      subresource,
      (current) => this.#updated(current, deepCopy(incoming), subresource, ctx),
      ctx,
      preconditions,
    );
  }

  async patch(
    namespace: string,
    name: string,
    subresource: string,
    patchType: Exclude<PatchType, 'apply'>,
    patch: unknown,
    ctx: RequestContext,
  ): Promise<KubeObject> {
    if (patchType === 'strategic' && this.def.refusesStrategicMerge) {
      throw unsupportedMediaType(
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
    }
    return this.#guaranteedUpdate(
      namespace,
      name,
      subresource,
      (current) => {
        const listFact = this.def.listFact?.bind(this.def);
        const patched = applyPatch(patchType, deepCopy(current), patch, listFact);
        if (!isRecord(patched) || !isRecord(patched.metadata)) {
          throw badRequest('the patch would remove the object metadata');
        }
        const result = patched as KubeObject;
        // A resourceVersion the patch itself carries is a precondition, as in Kubernetes.
        const patchedVersion = result.metadata.resourceVersion;
        if (patchedVersion && patchedVersion !== current.metadata.resourceVersion) {
          throw conflict(
            this.ref,
            name,
            'the object has been modified; please apply your changes to the latest version and try again',
          );
        }
        if (result.metadata.name !== undefined && result.metadata.name !== name) {
          throw badRequest(`metadata.name: the patch may not change the name (${name})`);
        }
        const decoded = decodeRequestObject(this.def, result, namespace);
        this.#dropUnknownFields(decoded, ctx);
        return this.#updated(current, decoded, subresource, ctx);
      },
      ctx,
      {},
    );
  }

  /**
   * Server-side apply (PATCH with `application/apply-patch+yaml`): merges `body` into the object
   * as the configuration of `ctx.fieldManager`, or creates the object from it (apply.ts).
   */
  apply(
    namespace: string,
    name: string,
    subresource: string,
    body: unknown,
    options: ApplyOptions,
    ctx: RequestContext,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const writes: ApplyWrites = {
      find: (ns, n) => this.find(ns, n),
      update: (ns, n, sub, compute) => this.#guaranteedUpdate(ns, n, sub, compute, ctx, {}),
      create: (ns, written) => this.#create(ns, written.object, written.managedFields, ctx),
    };
    const manager = ctx.fieldManager ?? '';
    // Fields the kind does not have are neither applied nor owned (Strict refuses them).
    if (isRecord(body) && isRecord(body.metadata)) this.#dropUnknownFields(body as KubeObject, ctx);
    return applyConfiguration(this.def, this.#fields, writes, { namespace, name, subresource, body, manager, options });
  }

  /** An update's object with the managedFields its manager's write leads to. */
  #updated(current: KubeObject, next: KubeObject, subresource: string, ctx: RequestContext): Written {
    return { object: next, managedFields: this.#fields.update(current, next, ctx.fieldManager ?? '', subresource) };
  }

  /**
   * Deletes the object. With finalizers it only gets a deletionTimestamp; the last finalizer's
   * removal (an update) then deletes it.
   */
  async delete(namespace: string, name: string, ctx: RequestContext, options: DeleteOptions): Promise<KubeObject> {
    const key = this.key(namespace, name);
    const current = await this.get(namespace, name);
    checkPreconditions(this.ref, name, current, options.preconditions ?? {});
    await this.#runAdmission('DELETE', current, current, '', ctx);
    if (ctx.dryRun) return current;
    const grace = deletionGracePeriod(this.def, current, options.gracePeriodSeconds);
    if (grace > 0)
      return this.#mark(key, name, (latest) => markedForGracefulDeletion(this.def, latest, grace), options);
    const gcFinalizer = this.#garbageCollected ? propagationFinalizer(options.propagationPolicy) : undefined;
    const added = [gcFinalizer, this.def.finalizerOnDelete].filter((f): f is string => f !== undefined);
    if (added.length > 0 || pendingFinalizers(this.def, current).length > 0) {
      if (current.metadata.deletionTimestamp && !inGracePeriod(current)) return current;
      return this.#mark(key, name, (latest) => markedForDeletion(this.def, latest, added), options);
    }
    try {
      return this.#present(await this.#storage.delete(key, { ...options.preconditions }));
    } catch (err) {
      throw interpretDeleteError(err, this.ref, name);
    }
  }

  /** Writes the deletion mark `mark` computes (null: nothing to write) and answers the marked object. */
  async #mark(
    key: string,
    name: string,
    mark: (latest: KubeObject) => KubeObject | null,
    options: DeleteOptions,
  ): Promise<KubeObject> {
    try {
      return this.#present(await this.#storage.guaranteedUpdate(key, mark, options.preconditions));
    } catch (err) {
      throw interpretUpdateError(err, this.ref, name);
    }
  }

  async #guaranteedUpdate(
    namespace: string,
    name: string,
    subresource: string,
    compute: (current: KubeObject) => Written,
    ctx: RequestContext,
    preconditions: Preconditions,
  ): Promise<KubeObject> {
    const strategy = strategyForSubresource(this.def, subresource);
    const key = this.key(namespace, name);
    let dryRunResult: KubeObject | undefined;
    let deleteAfterUpdate = false;
    let updated: KubeObject;
    try {
      updated = await this.#storage.guaranteedUpdate(
        key,
        async (stored) => {
          const current = this.#present(stored);
          const { object: next, managedFields } = compute(current);
          keepSystemMetadataOnUpdate(next, current);
          // With a status subresource, the main resource cannot change status (and vice versa).
          if (subresource === '' && this.def.hasStatus !== false) {
            if (current.status === undefined) delete next.status;
            else next.status = deepCopy(current.status);
          }
          strategy.prepareForUpdate?.(next, current);
          setManagedFields(next, managedFields);
          bumpGenerationOnSpecChange(next, current);
          this.#validate(next, [
            ...validateMetaOnUpdate(next, current, this.def),
            ...validateFinalizersOnDeletion(next, current),
            ...(strategy.validateUpdate?.(next, current) ?? []),
          ]);
          await this.#runAdmission('UPDATE', next, current, subresource, ctx);
          strategy.canonicalize?.(next);
          if (isDeepStrictEqual(next, current)) {
            if (ctx.dryRun) dryRunResult = current;
            return null;
          }
          if (ctx.dryRun) {
            dryRunResult = next;
            return null;
          }
          deleteAfterUpdate = deletionComplete(this.def, next);
          return this.#toStorage(next);
        },
        preconditions,
      );
    } catch (err) {
      throw interpretUpdateError(err, this.ref, name);
    }
    if (dryRunResult) return dryRunResult;
    if (deleteAfterUpdate) {
      try {
        return this.#present(await this.#storage.delete(key, { uid: updated.metadata.uid }));
      } catch (err) {
        throw interpretDeleteError(err, this.ref, name);
      }
    }
    return this.#present(updated);
  }

  /** Drops the fields the kind does not have (k8s decoding); Strict refuses them, Warn reports them. */
  #dropUnknownFields(obj: KubeObject, ctx: RequestContext): void {
    const unknown = this.def.pruneUnknownFields?.(obj) ?? [];
    if (unknown.length === 0) return;
    const named = unknown.map((path) => `unknown field "${path}"`);
    if (ctx.fieldValidation === 'Strict') {
      const { kind, version } = this.def;
      throw badRequest(
        `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${named.join(', ')}`,
      );
    }
    if (ctx.fieldValidation === 'Warn') ctx.warnings?.push(...named);
  }

  #validate(obj: KubeObject, errors: FieldError[]): void {
    if (errors.length > 0) {
      throw invalid({ group: this.def.group, kind: this.def.kind }, String(obj.metadata.name ?? ''), errors);
    }
  }

  async #runAdmission(
    operation: Operation,
    object: KubeObject,
    oldObject: KubeObject | undefined,
    subresource: string,
    ctx: RequestContext,
  ): Promise<void> {
    const attrs: AdmissionAttributes = {
      operation,
      object,
      oldObject,
      kind: gvkOf(this.def),
      resource: this.def.plural,
      subresource,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name ?? '',
      user: ctx.user,
      dryRun: ctx.dryRun,
    };
    await this.#admission.admit(attrs);
    await this.#admission.validate(attrs);
  }

  #predicate(query: { labelSelector?: LabelSelector; fieldSelector?: FieldSelector }) {
    return selectionPredicate(this.def, query.labelSelector, query.fieldSelector);
  }

  /** A stored object as this resource serves it: converted from the storage version when it differs. */
  #present(stored: KubeObject): KubeObject {
    const obj = this.def.conversion ? this.def.conversion.fromStorage(stored) : stored;
    obj.apiVersion = this.apiVersion;
    obj.kind = this.def.kind;
    return obj;
  }

  /** An object of this resource's version as it is stored. */
  #toStorage(obj: KubeObject): KubeObject {
    return this.def.conversion ? this.def.conversion.toStorage(obj) : obj;
  }
}

export type { StatusError };
