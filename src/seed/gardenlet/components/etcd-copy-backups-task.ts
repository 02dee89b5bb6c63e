/**
 * The Restore's EtcdCopyBackupsTask (named after the shoot, Gardener's "Copying etcd backups to
 * new seed's backup bucket"): the seed's druid copies the backups from the source bucket
 * (`source-etcd-backup`) to this seed's bucket (`etcd-backup`), same prefix, each object verified
 * by size and SHA-256, waiting up to 5 min for the source's final snapshot.
 */
import { secretResource } from '../../../api/core/secret.js';
import { backupBucketResource } from '../../../api/core-gardener/backup-bucket.js';
import {
  copyTaskFailureMessage,
  copyTaskSucceeded,
  etcdCopyBackupsTaskResource,
} from '../../../api/druid/etcd-copy-backups-task.js';
import { terminal } from '../../../flow/task-errors.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import { ETCD_BACKUP_SECRET, etcdBackupPrefix, SOURCE_ETCD_BACKUP_SECRET } from '../../extensions/backup-actuators.js';
import { copyBackupsFailedMessage } from '../copy-backups-hint.js';
import { shootLabels } from '../shoot-labels.js';
import type { BackupEntry } from './backup-entry.js';
import type { ComponentContext } from './context.js';
import { storeProvider } from './etcd.js';
import type { DeployWaiter } from './interfaces.js';
import type { SourceBackupEntry } from './source-backup-entry.js';
import { NotYetError, waitUntil } from './wait.js';

export class EtcdCopyBackupsTask implements DeployWaiter {
  readonly #c: ComponentContext;
  readonly #backupEntry: BackupEntry;
  readonly #sourceBackupEntry: SourceBackupEntry;
  readonly name: string;

  constructor(c: ComponentContext, backupEntry: BackupEntry, sourceBackupEntry: SourceBackupEntry) {
    this.#c = c;
    this.#backupEntry = backupEntry;
    this.#sourceBackupEntry = sourceBackupEntry;
    this.name = c.shoot.metadata.name!;
  }

  /**
   * "Copying etcd backups to new seed's backup bucket". An existing task is kept: it may be
   * copying, or an operator may have marked it done. The task is created once both secrets are
   * there: with skip-readiness nothing has waited for the two BackupEntries to write them, and a
   * task without them only reports errors that mislead.
   */
  async deploy(ctx: TaskContext): Promise<void> {
    if (await this.#tasks().find(this.#c.namespace, this.name)) return;
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const secrets = this.#c.seed.resource(secretResource);
      const names = [SOURCE_ETCD_BACKUP_SECRET, ETCD_BACKUP_SECRET];
      const found = await Promise.all(names.map((name) => secrets.find(this.#c.namespace, name)));
      const missing = names.filter((_, i) => !found[i]);
      if (missing.length > 0) {
        throw new NotYetError(`the BackupEntries have not written ${missing.join(', ')} into ${this.#c.namespace}`);
      }
    });
    const sourceBucketName = await this.#sourceBackupEntry.bucketName();
    if (!sourceBucketName) throw new Error(`the source BackupEntry ${this.#sourceBackupEntry.name} is missing`);
    const sourceBucket = await this.#c.garden.resource(backupBucketResource).get('', sourceBucketName);
    const seed = await this.#c.seedObject();
    const backup = seed.spec.backup;
    if (!backup) throw new Error(`seed ${this.#c.seedName} has no spec.backup`);
    const prefix = etcdBackupPrefix(this.#backupEntry.name);
    await this.#tasks().createIfAbsent(this.#c.namespace, {
      // The labels let the shoot controller's watch wake the Restore when the task changes.
      metadata: { name: this.name, namespace: this.#c.namespace, labels: shootLabels(this.#c.shoot) },
      spec: {
        podLabels: {
          'networking.gardener.cloud/to-dns': 'allowed',
          'networking.gardener.cloud/to-public-networks': 'allowed',
        },
        sourceStore: {
          provider: storeProvider(sourceBucket.spec.provider.type, `BackupBucket ${sourceBucketName}`),
          container: sourceBucketName,
          prefix,
          secretRef: { name: SOURCE_ETCD_BACKUP_SECRET },
        },
        targetStore: {
          provider: storeProvider(backup.provider, `seed ${this.#c.seedName}`),
          container: seed.metadata.uid!,
          prefix,
          secretRef: { name: ETCD_BACKUP_SECRET },
        },
        waitForFinalSnapshot: { enabled: true, timeout: '5m' },
      },
    });
  }

  /**
   * "Waiting until etcd backups are copied". A task that reports an error fails the step at once
   * with why and what an operator can do (the seed document's manual copy); the flow is retried,
   * and succeeds once the copy (or the operator) marks the task Succeeded.
   */
  async wait(ctx: TaskContext): Promise<void> {
    const what = `EtcdCopyBackupsTask ${this.#c.namespace}/${this.name}`;
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const task = await this.#tasks().find(this.#c.namespace, this.name);
      if (!task) throw terminal(new Error(`${what} does not exist`));
      if (copyTaskSucceeded(task)) return;
      const problem = copyTaskFailureMessage(task) ?? (task.status?.lastError || undefined);
      if (problem) throw terminal(new Error(copyBackupsFailedMessage(this.#c.shoot, task, problem)));
      throw new NotYetError(`${what} has not succeeded yet`);
    });
  }

  /** "Destroying copy etcd backups task resource", and waiting until the druid let go of it. */
  async destroy(ctx: TaskContext): Promise<void> {
    await this.#tasks().deleteIfPresent(this.#c.namespace, this.name);
    await this.waitCleanup(ctx);
  }

  async waitCleanup(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      if (await this.#tasks().find(this.#c.namespace, this.name)) {
        throw new NotYetError(`EtcdCopyBackupsTask ${this.#c.namespace}/${this.name} still exists`);
      }
    });
  }

  #tasks() {
    return this.#c.seed.resource(etcdCopyBackupsTaskResource);
  }
}
