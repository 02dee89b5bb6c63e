/**
 * The generic REST store (k8s registry/generic/registry/store.go): one CRUD engine for every
 * kind. Per-kind behaviour comes from the ResourceDefinition's strategies; what the API
 * conventions require of all kinds is applied here at fixed points of each verb, from the modules
 * beside it: server-owned metadata (system-metadata.ts), finalizers and deletionTimestamp
 * (deletion.ts), preconditions, subresource strategies, selectors and watch-event shaping, and
 * field ownership (`metadata.managedFields`, ../fieldmanager/): every write records its manager,
 * and `apply` is server-side apply. The keys, the storage version and the verbs that only read
 * (get, list, watch) are resource-storage.ts's; what callers pass is in store-options.ts. This
 * file keeps the order of the write steps, readable top to bottom per verb.
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
import { deepCopy, isRecord, type KubeList, type KubeObject } from '../../api/meta.js';
import type { Preconditions, Storage } from '../../storage/interface.js';
import { interpretCreateError, interpretDeleteError, interpretUpdateError } from '../../storage/interpret-errors.js';
import type { AdmissionChain } from '../admission.js';
import { FieldManager, type ManagedFieldsEntry, setManagedFields } from '../fieldmanager/field-manager.js';
import { applyPatch, type PatchType } from '../patch.js';
import { type AdmissionAttributes, apiVersionOf, gvkOf, type Operation, type ResourceDefinition } from '../types.js';
import { type ApplyOptions, type ApplyWrites, applyConfiguration, type Written } from './apply.js';
import {
  deletionComplete,
  deletionGracePeriod,
  inGracePeriod,
  markedForDeletion,
  markedForGracefulDeletion,
  pendingFinalizers,
  propagationFinalizer,
  validateFinalizersOnDeletion,
} from './deletion.js';
import { validateMetaOnCreate, validateMetaOnUpdate } from './object-meta.js';
import { checkPreconditions, preconditionsOfBody } from './preconditions.js';
import { checkNameMatches, decodeRequestObject } from './request-object.js';
import { type ListQuery, ResourceStorage, type WatchQuery } from './resource-storage.js';
import { selectableFieldNames, selectableFields } from './selection-predicate.js';
import type { DeleteOptions, GenericStoreOptions, RequestContext } from './store-options.js';
import { hasSubresource, strategyForSubresource } from './subresources.js';
import {
  bumpGenerationOnSpecChange,
  fillSystemMetadataOnCreate,
  keepSystemMetadataOnUpdate,
} from './system-metadata.js';
import type { ResourceWatch } from './watch-events.js';

export type { ApplyOptions } from './apply.js';
export type { ListQuery, WatchQuery } from './resource-storage.js';
export type { DeleteOptions, FieldValidation, GenericStoreOptions, RequestContext } from './store-options.js';

export class GenericStore {
  readonly def: ResourceDefinition;
  readonly ref: GroupResource;
  readonly #storage: Storage;
  readonly #stored: ResourceStorage;
  readonly #admission: AdmissionChain;
  readonly #garbageCollected: boolean;
  readonly #fields: FieldManager;

  constructor(def: ResourceDefinition, storage: Storage, admission: AdmissionChain, options: GenericStoreOptions = {}) {
    this.def = def;
    this.ref = { group: def.group, resource: def.plural };
    this.#storage = storage;
    this.#stored = new ResourceStorage(def, storage);
    this.#admission = admission;
    this.#garbageCollected = options.garbageCollected === true;
    this.#fields = new FieldManager(def);
  }

  get apiVersion(): string {
    return apiVersionOf(this.def);
  }

  /** `/registry/<plural>/…` for the core group, `/registry/<group>/<plural>/…` otherwise (of the storage resource, if another). */
  keyPrefix(namespace: string): string {
    return this.#stored.keyPrefix(namespace);
  }

  key(namespace: string, name: string): string {
    return this.#stored.key(namespace, name);
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

  get(namespace: string, name: string): Promise<KubeObject> {
    return this.#stored.get(namespace, name);
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

  list(namespace: string, query: ListQuery): Promise<KubeList> {
    return this.#stored.list(namespace, query);
  }

  /** The list as JSON text, undefined where that fast path does not apply (see `ResourceStorage.listJson`). */
  listJson(namespace: string, query: ListQuery): Promise<{ head: string; items: string[]; tail: string } | undefined> {
    return this.#stored.listJson(namespace, query);
  }

  /** Watches the resource (see `ResourceStorage.watch`). */
  watch(namespace: string, query: WatchQuery): Promise<ResourceWatch> {
    return this.#stored.watch(namespace, query);
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
    if (ctx.dryRun) return this.#stored.present(obj);
    try {
      return this.#stored.present(
        await this.#storage.create(this.key(namespace, meta.name!), this.#stored.toStorage(obj)),
      );
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
      return this.#stored.present(await this.#storage.delete(key, { ...options.preconditions }));
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
      return this.#stored.present(await this.#storage.guaranteedUpdate(key, mark, options.preconditions));
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
          const current = this.#stored.present(stored);
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
          return this.#stored.toStorage(next);
        },
        preconditions,
      );
    } catch (err) {
      throw interpretUpdateError(err, this.ref, name);
    }
    if (dryRunResult) return dryRunResult;
    if (deleteAfterUpdate) {
      try {
        return this.#stored.present(await this.#storage.delete(key, { uid: updated.metadata.uid }));
      } catch (err) {
        throw interpretDeleteError(err, this.ref, name);
      }
    }
    return this.#stored.present(updated);
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
}

export type { StatusError };
