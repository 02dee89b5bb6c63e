/**
 * The generic extension reconciler (Gardener's extensions/pkg/controller/*): finalizer, the
 * `gardener.cloud/operation` annotation (reconcile, migrate, restore, wait-for-state), and
 * `status.lastOperation` / `observedGeneration` / `state`. Kind-specific work is the Actuator's.
 */

import { ExtensionOperation, GARDENER_OPERATION_ANNOTATION } from '../../api/extensions/common.js';
import { isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { ResourceRef } from '../../api/resource-ref.js';
import type { Client, ResourceClient } from '../../client/client.js';
import { addFinalizer, removeFinalizer } from '../../client/finalizers.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import type { Actuator } from './actuator.js';

export interface ExtensionControllerOptions {
  /** The seed API the extension objects live in. */
  client: Client;
  /** The extension kind this controller reconciles (`dnsRecordResource`, `workerResource`, …). */
  resource: ResourceRef;
  actuator: Actuator;
}

type OperationType = 'Create' | 'Reconcile' | 'Delete' | 'Migrate' | 'Restore';

/** `extensions.gardener.cloud/<kind in lower case>`, e.g. `extensions.gardener.cloud/dnsrecord`. */
export function extensionFinalizer(resource: ResourceRef): string {
  return `extensions.gardener.cloud/${resource.kind.toLowerCase()}`;
}

export class ExtensionReconciler implements Reconciler {
  readonly #objects: ResourceClient;
  readonly #actuator: Actuator;
  readonly #finalizer: string;

  constructor(options: ExtensionControllerOptions) {
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
    const status = isRecord(obj.status) ? obj.status : {};
    const done = status.observedGeneration === obj.metadata.generation && lastState(obj) === 'Succeeded';
    if (done && operation !== ExtensionOperation.Reconcile) return {};
    return this.#run(obj, status.observedGeneration === undefined ? 'Create' : 'Reconcile');
  }

  async #run(obj: KubeObject, type: 'Create' | 'Reconcile' | 'Restore'): Promise<Result> {
    await this.#ensureFinalizer(obj);
    try {
      if (type === 'Restore') {
        const state = isRecord(obj.status) && isRecord(obj.status.state) ? obj.status.state : undefined;
        await this.#actuator.restore(obj, state);
      }
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
  async #migrate(obj: KubeObject): Promise<Result> {
    if (lastType(obj) === 'Migrate' && lastState(obj) === 'Succeeded' && !this.#hasFinalizer(obj)) {
      await this.#dropAnnotation(obj);
      return {};
    }
    const state = await this.#actuator.migrate(obj);
    await this.#objects.patch(
      obj.metadata.namespace ?? '',
      obj.metadata.name!,
      { status: { state: state ?? null, lastOperation: lastOperation('Migrate', 'Succeeded'), lastError: null } },
      { subresource: 'status' },
    );
    await this.#removeFinalizer(obj);
    await this.#dropAnnotation(obj);
    return {};
  }

  async #delete(obj: KubeObject): Promise<Result> {
    if (!this.#hasFinalizer(obj)) return {};
    await this.#actuator.delete(obj);
    await this.#removeFinalizer(obj);
    return {};
  }

  #hasFinalizer(obj: KubeObject): boolean {
    return (obj.metadata.finalizers ?? []).includes(this.#finalizer);
  }

  async #ensureFinalizer(obj: KubeObject): Promise<void> {
    await addFinalizer(this.#objects, obj, this.#finalizer);
  }

  async #removeFinalizer(obj: KubeObject): Promise<void> {
    await removeFinalizer(this.#objects, obj, this.#finalizer);
  }

  async #dropAnnotation(obj: KubeObject): Promise<void> {
    const current = await this.#objects.find(obj.metadata.namespace ?? '', obj.metadata.name!);
    if (!current?.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION]) return;
    await this.#objects.patch(obj.metadata.namespace ?? '', obj.metadata.name!, {
      metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: null } },
    });
  }

  async #report(obj: KubeObject, type: OperationType, state: 'Succeeded' | 'Error', message?: string): Promise<void> {
    const current = await this.#objects.find(obj.metadata.namespace ?? '', obj.metadata.name!);
    if (!current) return;
    const status: Record<string, unknown> = {
      lastOperation: lastOperation(type, state, message),
      observedGeneration: current.metadata.generation,
      lastError: state === 'Error' ? { description: message, lastUpdateTime: nowTimestamp() } : null,
    };
    await this.#objects.patch(obj.metadata.namespace ?? '', obj.metadata.name!, { status }, { subresource: 'status' });
  }
}

function lastOperation(type: OperationType, state: 'Succeeded' | 'Error', message?: string) {
  return {
    type,
    state,
    progress: state === 'Succeeded' ? 100 : 50,
    description: message ?? `${type} of the extension resource succeeded.`,
    lastUpdateTime: nowTimestamp(),
  };
}

function lastType(obj: KubeObject): unknown {
  return isRecord(obj.status) && isRecord(obj.status.lastOperation) ? obj.status.lastOperation.type : undefined;
}

function lastState(obj: KubeObject): unknown {
  return isRecord(obj.status) && isRecord(obj.status.lastOperation) ? obj.status.lastOperation.state : undefined;
}
