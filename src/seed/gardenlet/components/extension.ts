/**
 * One extension resource of the shoot in its control-plane namespace (Infrastructure, DNSRecord,
 * ControlPlane, Worker), as Gardener's generic extension components handle them: deployed with
 * the spec its kind computes, waited for until its controller reports the operation Succeeded,
 * migrated (`gardener.cloud/operation=migrate`: the controller saves in `status.state` what it
 * cannot rebuild and lets go of the object) and restored from the state the ShootState kept.
 */
import { GARDENER_OPERATION_ANNOTATION } from '../../../api/core-gardener/common.js';
import type { SecretReference } from '../../../api/extensions/common.js';
import {
  type ExtensionObject,
  ExtensionOperation,
  extensionNotReadyReason,
  extensionOperation,
  isExtensionMigrated,
  isExtensionReady,
} from '../../../api/extensions/common.js';
import type { ObjectMeta } from '../../../api/meta.js';
import type { ResourceRef } from '../../../api/resource-ref.js';
import type { NewObject } from '../../../client/client.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import type { ComponentContext } from './context.js';
import type { DeployMigrateWaiter } from './interfaces.js';
import type { ShootStateComponent } from './shoot-state.js';
import { NotYetError, waitUntil } from './wait.js';

/** What tells one extension kind from another. */
export interface ExtensionKind<T extends ExtensionObject> {
  readonly resource: ResourceRef<T>;
  /** The object's name for this shoot (Gardener's: the shoot's name, `<shoot>-internal` for the DNS record). */
  name(c: ComponentContext): string;
  /** The spec the local provider's object gets. */
  spec(c: ComponentContext): T['spec'];
  /** What must exist before the object is deployed or restored (e.g. the secret its spec references). */
  prepare?(c: ComponentContext): Promise<void>;
  /**
   * Whether an existing object must be deleted (its controller cleaning up) and created anew to
   * get `spec`: a change of a field that is immutable, such as a DNSRecord's `type` or `name`.
   */
  replaces?(current: T, spec: T['spec']): boolean;
}

/** The `type`, `region` and `secretRef` every local extension object has. */
export function localProviderSpec(c: ComponentContext): { type: string; region: string; secretRef: SecretReference } {
  return { type: 'local', region: 'local', secretRef: { name: 'cloudprovider', namespace: c.namespace } };
}

export class Extension<T extends ExtensionObject = ExtensionObject> implements DeployMigrateWaiter {
  readonly #c: ComponentContext;
  readonly #kind: ExtensionKind<T>;
  readonly #shootState: ShootStateComponent;
  readonly name: string;

  constructor(c: ComponentContext, kind: ExtensionKind<T>, shootState: ShootStateComponent) {
    this.#c = c;
    this.#kind = kind;
    this.#shootState = shootState;
    this.name = kind.name(c);
  }

  get kind(): string {
    return this.#kind.resource.kind;
  }

  /** `Infrastructure shoot-a`, for messages. */
  get description(): string {
    return `${this.kind} ${this.name}`;
  }

  /** Creates the object with its spec, or brings an existing one's spec up to date. */
  async deploy(ctx: TaskContext): Promise<void> {
    await this.#kind.prepare?.(this.#c);
    let current = await this.#objects().find(this.#c.namespace, this.name);
    if (current && this.#kind.replaces?.(current, this.#kind.spec(this.#c))) {
      await this.destroy(ctx);
      await this.waitCleanup(ctx);
      current = null;
    }
    if (!current) await this.#objects().create(this.#c.namespace, this.#newObject({ name: this.name }));
    else await this.#objects().patch(this.#c.namespace, this.name, { spec: this.#kind.spec(this.#c) });
  }

  /** Until the controller reports the last operation Succeeded for the current generation. */
  async wait(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const obj = await this.get();
      if (!obj) throw new NotYetError(`${this.description} does not exist`);
      if (!isExtensionReady(obj)) {
        throw new NotYetError(`${this.description} is not ready (${extensionNotReadyReason(obj) ?? 'no status yet'})`);
      }
    });
  }

  /** Deletes the object; its controller cleans up what it made before the finalizer goes. */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.#objects().deleteIfPresent(this.#c.namespace, this.name);
  }

  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (await this.get()) throw new NotYetError(`${this.description} still exists`);
    });
  }

  /** Asks the controller to migrate the object, unless it is gone, migrated or already asked. */
  async migrate(_ctx: TaskContext): Promise<void> {
    const obj = await this.get();
    if (!obj || isExtensionMigrated(obj) || extensionOperation(obj) === ExtensionOperation.Migrate) return;
    await this.#objects().patch(this.#c.namespace, this.name, {
      metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Migrate } },
    });
  }

  /** Migrate Succeeded, without finalizer or annotation (or gone). */
  async waitMigrate(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (!(await this.isMigrated())) throw new NotYetError(`${this.description} has not been migrated`);
    });
  }

  /**
   * Migrate, then wait until migrated, in one step: Gardener's `MigrateInternalDNSResources` for
   * "Migrating internal domain DNS record". The record itself stays on the DNS server.
   */
  async migrateAndWait(ctx: TaskContext): Promise<void> {
    await this.migrate(ctx);
    await this.waitMigrate(ctx);
  }

  /**
   * Destroy, then wait until gone, in one step: Gardener's `DestroyInternalDNSRecord` for
   * "Destroying internal domain DNS record if hibernated".
   */
  async destroyAndWait(ctx: TaskContext): Promise<void> {
    await this.destroy(ctx);
    await this.waitCleanup(ctx);
  }

  /** Whether the object is gone or migrated and let go of (no finalizer, no pending operation). */
  async isMigrated(): Promise<boolean> {
    const obj = await this.get();
    return (
      !obj || (isExtensionMigrated(obj) && !extensionOperation(obj) && (obj.metadata.finalizers ?? []).length === 0)
    );
  }

  /**
   * Gardener's `RestoreExtensionWithDeployFunction`: deployed with
   * `gardener.cloud/operation=wait-for-state`, its `status.state` set from the ShootState, then
   * `restore`. One already restored (no annotation) is deployed as usual.
   */
  async restore(ctx: TaskContext): Promise<void> {
    await this.#kind.prepare?.(this.#c);
    const objects = this.#objects();
    const current =
      (await this.get()) ??
      (await objects.create(
        this.#c.namespace,
        this.#newObject({
          name: this.name,
          annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.WaitForState },
        }),
      ));
    const operation = extensionOperation(current);
    if (operation === undefined) return this.deploy(ctx);
    if (operation !== ExtensionOperation.WaitForState) return;
    const state = await this.#shootState.extensionState(this.kind, this.name);
    await objects.patch(this.#c.namespace, this.name, { status: { state: state ?? null } }, { subresource: 'status' });
    await objects.patch(this.#c.namespace, this.name, {
      metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Restore } },
    });
  }

  /** The object's `status.state`, what the ShootState keeps of it; undefined when it has none. */
  async state(): Promise<Record<string, unknown> | undefined> {
    return (await this.get())?.status?.state ?? undefined;
  }

  /** A new object of the kind: `metadata` and the spec the kind computes. */
  #newObject(metadata: ObjectMeta): NewObject<T> {
    // Exactly a NewObject<T>; TypeScript cannot relate an object literal to Partial<T> for a generic T.
    return { metadata, spec: this.#kind.spec(this.#c) } as NewObject<T>;
  }

  get(): Promise<T | null> {
    return this.#objects().find(this.#c.namespace, this.name);
  }

  #objects() {
    return this.#c.seed.resource(this.#kind.resource);
  }
}
