/**
 * The Restore's source BackupEntry (`source-<entry>`, Gardener's "Deploying source backup
 * entry"): the bucket the backups are in now (the source seed's), placed on this seed. Its
 * extension object writes `source-etcd-backup` into the control-plane namespace for the copy. It
 * goes once the backups are verified in this seed's bucket; without access to the source store an
 * operator removes its finalizer (the seed document's manual path).
 */
import type { TaskContext } from '../../../flow/task-fn.js';
import { sourceBackupEntryName } from '../../../shoot/identity.js';
import { type BackupEntry, GardenBackupEntry } from './backup-entry.js';
import type { ComponentContext } from './context.js';
import type { DeployWaiter } from './interfaces.js';

export class SourceBackupEntry extends GardenBackupEntry implements DeployWaiter {
  readonly #backupEntry: BackupEntry;

  constructor(c: ComponentContext, backupEntry: BackupEntry) {
    super(c, sourceBackupEntryName(c.shoot), 'the source BackupEntry');
    this.#backupEntry = backupEntry;
  }

  /** "Deploying source backup entry": in the bucket the shoot's BackupEntry names now. */
  async deploy(_ctx: TaskContext): Promise<void> {
    if (await this.get()) return;
    const bucketName = await this.#backupEntry.bucketName();
    if (!bucketName) throw new Error(`BackupEntry ${this.#backupEntry.name} names no bucket`);
    await this.create(bucketName);
  }
}
