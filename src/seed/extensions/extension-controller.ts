/**
 * The generic extension reconciler (Gardener's extensions/pkg/controller/*): finalizer, the
 * `gardener.cloud/operation` annotation (reconcile, migrate, restore, wait-for-state), and
 * `status.lastOperation` / `observedGeneration` / `state`. Kind-specific work is the Actuator's.
 */

import type { LastOperation, LastOperationState, LastOperationType } from '../../api/core-gardener/common.js';
import {
  type ExtensionObject,
  ExtensionOperation,
  type ExtensionStatus,
  GARDENER_OPERATION_ANNOTATION,
} from '../../api/extensions/common.js';
import { nowTimestamp } from '../../api/meta.js';
import type { ResourceRef } from '../../api/resource-ref.js';
import type { Client, ResourceClient } from '../../client/client.js';
import { addFinalizer, removeFinalizer } from '../../client/finalizers.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import type { Actuator } from './actuator.js';

export interface ExtensionControllerOptions<T extends ExtensionObject> {
  /** The seed API the extension objects live in. */
  client: Client;
  /** The extension kind this controller reconciles (`dnsRecordResource`, `workerResource`, …). */
  resource: ResourceRef<T>;
  actuator: Actuator<T>;
}

/** `extensions.gardener.cloud/<kind in lower case>`, e.g. `extensions.gardener.cloud/dnsrecord`. */
export function extensionFinalizer(resource: ResourceRef): string {
  return `extensions.gardener.cloud/${resource.kind.toLowerCase()}`;
}

export class ExtensionReconciler<T extends ExtensionObject> implements Reconciler {
  readonly #objects: ResourceClient<T>;
  readonly #actuator: Actuator<T>;
  readonly #finalizer: string;

  constructor(options: ExtensionControllerOptions<T>) {
    this.#objects = options.client.resource(options.resource);
    this.#actuator = options.actuator;
    this.#finalizer = extensionFinalizer(options.resource);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const obj = await this.#objects.find(key.namespace, key.name);
    if (!obj) return {};
    const operation = obj.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION];
    if (operation === ExtensionOperation.WaitForState) return {};
    if (operation === ExtensionOperation.Migrate) return this.#migrate(obj);
    if (obj.metadata.deletionTimestamp) return this.#delete(obj);
    if (operation === ExtensionOperation.Restore) return this.#run(obj, 'Restore');
    const observed = obj.status?.observedGeneration;
    const done = observed === obj.metadata.generation && obj.status?.lastOperation?.state === 'Succeeded';
    if (done && operation !== ExtensionOperation.Reconcile) return {};
    return this.#run(obj, observed === undefined ? 'Create' : 'Reconcile');
  }

  async #run(obj: T, type: 'Create' | 'Reconcile' | 'Restore'): Promise<Result> {
    await this.#ensureFinalizer(obj);
    try {
      if (type === 'Restore') await this.#actuator.restore(obj, obj.status?.state ?? undefined);
      await this.#actuator.reconcile(obj);
    } catch (err) {
      await this.#report(obj, type, 'Error', (err as Error).message);
      throw err;
    }
    await this.#report(obj, type, 'Succeeded');
    if (obj.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION]) await this.#dropAnnotation(obj);
    return {};
  }

  /** Saves the state, drops the finalizer, and only then the annotation: the order Gardener waits on. */
  async #migrate(obj: T): Promise<Result> {
    const last = obj.status?.lastOperation;
    if (last?.type === 'Migrate' && last.state === 'Succeeded' && !this.#hasFinalizer(obj)) {
      await this.#dropAnnotation(obj);
      return {};
    }
    const state = await this.#actuator.migrate(obj);
    const status: ExtensionStatus = {
      state: state ?? null,
      lastOperation: lastOperation('Migrate', 'Succeeded'),
      lastError: null,
    };
    await this.#objects.patch(obj.metadata.namespace ?? '', obj.metadata.name!, { status }, { subresource: 'status' });
    await this.#removeFinalizer(obj);
    await this.#dropAnnotation(obj);
    return {};
  }

  async #delete(obj: T): Promise<Result> {
    if (!this.#hasFinalizer(obj)) return {};
    try {
      await this.#actuator.delete(obj);
    } catch (err) {
      // As Gardener's: the refusal shows on the object (and the gardenlet passes it on).
      await this.#report(obj, 'Delete', 'Error', (err as Error).message);
      throw err;
    }
    await this.#removeFinalizer(obj);
    return {};
  }

  #hasFinalizer(obj: T): boolean {
    return (obj.metadata.finalizers ?? []).includes(this.#finalizer);
  }

  async #ensureFinalizer(obj: T): Promise<void> {
    await addFinalizer(this.#objects, obj, this.#finalizer);
  }

  async #removeFinalizer(obj: T): Promise<void> {
    await removeFinalizer(this.#objects, obj, this.#finalizer);
  }

  async #dropAnnotation(obj: T): Promise<void> {
    const current = await this.#objects.find(obj.metadata.namespace ?? '', obj.metadata.name!);
    if (!current?.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION]) return;
    await this.#objects.patch(obj.metadata.namespace ?? '', obj.metadata.name!, {
      metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: null } },
    });
  }

  async #report(obj: T, type: LastOperationType, state: LastOperationState, message?: string): Promise<void> {
    const current = await this.#objects.find(obj.metadata.namespace ?? '', obj.metadata.name!);
    if (!current) return;
    const status: ExtensionStatus = {
      lastOperation: lastOperation(type, state, message),
      observedGeneration: current.metadata.generation,
      lastError: state === 'Error' ? { description: message ?? '', lastUpdateTime: nowTimestamp() } : null,
    };
    await this.#objects.patch(obj.metadata.namespace ?? '', obj.metadata.name!, { status }, { subresource: 'status' });
  }
}

function lastOperation(type: LastOperationType, state: LastOperationState, message?: string): LastOperation {
  return {
    type,
    state,
    progress: state === 'Succeeded' ? 100 : 50,
    description: message ?? `${type} of the extension resource succeeded.`,
    lastUpdateTime: nowTimestamp(),
  };
}
