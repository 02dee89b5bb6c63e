/**
 * The Restore's source BackupEntry (`source-<entry>`, Gardener's "Deploying source backup
 * entry"): the bucket the backups are in now (the source seed's), placed on this seed. Its
 * extension object writes `source-etcd-backup` into the control-plane namespace for the copy. It
 * goes once the backups are verified in this seed's bucket; without access to the source store an
 * operator removes its finalizer (the seed document's manual path).
 *
 * After a live migration nothing is copied, but the shoot's old backups are still in the source
 * bucket: the Restore places the same entry there, annotated with the revision a full snapshot in
 * this seed's bucket must reach before its deletion deletes them (docs/live-migration.md, "The
 * source bucket").
 */

import { LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION } from '../../../api/extensions/backup-entry.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import { sourceBackupEntryName } from '../../../shoot/identity.js';
import { type BackupEntry, GardenBackupEntry } from './backup-entry.js';
import type { ComponentContext } from './context.js';
import type { DeployWaiter } from './interfaces.js';

export interface SourceBackupEntryDeps {
  backupEntry: BackupEntry;
  /** This seed's etcd-main's current revision (a live migration's anchor). */
  etcdRevision: (ctx: TaskContext) => Promise<number>;
}

export class SourceBackupEntry extends GardenBackupEntry implements DeployWaiter {
  readonly #deps: SourceBackupEntryDeps;

  constructor(c: ComponentContext, deps: SourceBackupEntryDeps) {
    super(c, sourceBackupEntryName(c.shoot), 'the source BackupEntry');
    this.#deps = deps;
  }

  /** "Deploying source backup entry": in the bucket the shoot's BackupEntry names now. */
  async deploy(ctx: TaskContext): Promise<void> {
    await this.#deploy(ctx, false);
  }

  /**
   * "Deploying source backup entry" in the Restore that adopts a live-migrated control plane,
   * before the BackupEntry moves into this seed's bucket (afterwards nothing names the source
   * bucket any more). The anchor is etcd's revision now, after the source's members left: a full
   * snapshot at or above it was taken from this seed's members alone.
   */
  async deployAfterLiveMigration(ctx: TaskContext): Promise<void> {
    await this.#deploy(ctx, true);
  }

  async #deploy(ctx: TaskContext, live: boolean): Promise<void> {
    if (await this.get()) return;
    const bucketName = await this.#deps.backupEntry.bucketName();
    if (!bucketName) throw new Error(`BackupEntry ${this.#deps.backupEntry.name} names no bucket`);
    const annotations = live
      ? { [LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION]: String(await this.#deps.etcdRevision(ctx)) }
      : undefined;
    await this.create(bucketName, annotations);
  }
}
