/**
 * The shoot's BackupEntry in the garden (`shoot--<project>--<shoot>--<uid>`, in the project
 * namespace, owned by the Shoot): the shoot's directory in a bucket, which this seed's BackupEntry
 * controller realises as the `etcd-backup` secret in the control-plane namespace. It follows the
 * control plane: the source seed moves it on (`spec.seedName`), the destination takes it into its
 * own bucket (`gardener.cloud/operation=restore`).
 */

import {
  type BackupEntry as BackupEntryObject,
  backupEntryResource,
  backupEntrySpecSeedName,
  backupEntryStatusSeedName,
} from '../../../api/core-gardener/backup-entry.js';
import { GARDENER_API_VERSION, GARDENER_OPERATION_ANNOTATION } from '../../../api/core-gardener/common.js';
import { shootSpecSeedName } from '../../../api/core-gardener/shoot.js';
import { ExtensionOperation } from '../../../api/extensions/common.js';
import { controllerReference } from '../../../api/meta.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import { backupEntryName } from '../../../shoot/identity.js';
import { backupObjectNotReadyReason } from '../backup-common.js';
import { findForThisSeed } from '../seed-scoped-read.js';
import type { ComponentContext } from './context.js';
import type { DeployMigrateWaiter } from './interfaces.js';
import { NotYetError, waitUntil } from './wait.js';

/** What the shoot's BackupEntry and the Restore's source entry have in common: one garden object by name. */
export abstract class GardenBackupEntry {
  protected readonly c: ComponentContext;
  readonly name: string;
  /** `BackupEntry <name>` or `the source BackupEntry <name>`, for messages. */
  readonly #description: string;

  protected constructor(c: ComponentContext, name: string, description: string) {
    this.c = c;
    this.name = name;
    this.#description = `${description} ${name}`;
  }

  /** The entry, or null. */
  get(): Promise<BackupEntryObject | null> {
    return findForThisSeed(this.entries(), this.c.shoot.metadata.namespace!, this.name);
  }

  /** Until the entry's gardenlet reports it reconciled (names the entry's error when the time is up). */
  async wait(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.c.waitTimeoutMs, async () => {
      const entry = await this.get();
      const reason = entry ? backupObjectNotReadyReason(entry) : 'it does not exist';
      if (reason !== undefined) throw new NotYetError(`${this.#description} is not reconciled: ${reason}`);
    });
  }

  /** Deletes the entry (its finalizer holds it until its gardenlet is done with it). */
  async destroy(_ctx: TaskContext): Promise<void> {
    await this.entries().deleteIfPresent(this.c.shoot.metadata.namespace!, this.name);
  }

  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.c.waitTimeoutMs, async () => {
      if (await this.get()) throw new NotYetError(`${this.#description} still exists`);
    });
  }

  /** `spec.bucketName`, or undefined when the entry does not exist. */
  async bucketName(): Promise<string | undefined> {
    return (await this.get())?.spec.bucketName;
  }

  /** A new entry of this name in `bucketName`, placed on this seed and owned by the shoot (it goes when the shoot goes). */
  protected async create(bucketName: string, annotations?: Record<string, string>): Promise<void> {
    const { shoot } = this.c;
    await this.entries().create(shoot.metadata.namespace!, {
      apiVersion: GARDENER_API_VERSION,
      kind: 'BackupEntry',
      metadata: {
        name: this.name,
        namespace: shoot.metadata.namespace,
        labels: { 'shoot.gardener.cloud/name': shoot.metadata.name! },
        ...(annotations ? { annotations } : {}),
        ownerReferences: [controllerReference({ ...shoot, apiVersion: GARDENER_API_VERSION, kind: 'Shoot' }, false)],
      },
      spec: { bucketName, seedName: this.c.seedName },
    });
  }

  protected entries() {
    return this.c.garden.resource(backupEntryResource);
  }
}

export class BackupEntry extends GardenBackupEntry implements DeployMigrateWaiter {
  constructor(c: ComponentContext) {
    super(c, backupEntryName(c.shoot), 'BackupEntry');
  }

  /**
   * "Deploying backup entry": in the bucket of this seed (named after the seed's UID). An
   * existing entry keeps its bucket — moving backups to another bucket is the Restore's business,
   * never a side effect — and, as in Gardener, is asked to reconcile, which repairs e.g. a lost
   * `etcd-backup` secret.
   */
  async deploy(_ctx: TaskContext): Promise<void> {
    if (await this.get()) {
      await this.entries().patch(this.c.shoot.metadata.namespace!, this.name, {
        metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: 'reconcile' } },
        spec: { seedName: this.c.seedName },
      });
      return;
    }
    await this.create((await this.c.seedObject()).metadata.uid!);
  }

  /**
   * "Migrating BackupEntry to new seed": the entry follows the shoot to its new seed. Once it has
   * (a run resumed after a crash), it may already be out of this seed's reach: the garden lets a
   * seed touch an entry only while its spec or status names the seed.
   */
  async migrate(_ctx: TaskContext): Promise<void> {
    const destination = shootSpecSeedName(this.c.shoot);
    const entry = await this.get();
    if (!entry || backupEntrySpecSeedName(entry) === destination) return;
    await this.entries().patch(this.c.shoot.metadata.namespace!, this.name, { spec: { seedName: destination } });
  }

  /** "Waiting for BackupEntry to be migrated to new seed": this seed's BackupEntry controller has let go of it. */
  async waitMigrate(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.c.waitTimeoutMs, async () => {
      const entry = await this.get();
      const statusSeed = entry ? backupEntryStatusSeedName(entry) : undefined;
      if (!entry || statusSeed !== this.c.seedName) return;
      const last = entry.status?.lastOperation;
      throw new NotYetError(
        `BackupEntry ${this.name} is not migrated to the new seed yet (status.seedName ${statusSeed}, last operation ${last?.type} ${last?.state})`,
      );
    });
  }

  /**
   * "Deploying backup entry" in a Restore: the entry moves into this seed's bucket (named after its
   * UID), with `gardener.cloud/operation=restore`; from now on the backups of etcd-main go there.
   */
  async restore(_ctx: TaskContext): Promise<void> {
    await this.entries().patch(this.c.shoot.metadata.namespace!, this.name, {
      metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Restore } },
      spec: { bucketName: (await this.c.seedObject()).metadata.uid, seedName: this.c.seedName },
    });
  }

  /**
   * "Waiting until the backup entry has been deleted": gone, or its deletion is scheduled for the
   * end of the deletion grace period (`Delete Pending`) — the shoot's deletion does not wait that
   * long; the gardenlet deletes the entry and its backups when the period is over.
   */
  override async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.c.waitTimeoutMs, async () => {
      const entry = await this.get();
      const last = entry?.status?.lastOperation;
      if (!entry || (entry.metadata.deletionTimestamp && last?.type === 'Delete' && last.state === 'Pending')) return;
      throw new NotYetError(`BackupEntry ${this.name} still exists`);
    });
  }

  /** Whether the entry is still placed on this seed (`spec.seedName`): the Migrate has not moved it on yet. */
  async placedHere(): Promise<boolean> {
    const entry = await this.get();
    return entry !== null && backupEntrySpecSeedName(entry) === this.c.seedName;
  }
}
