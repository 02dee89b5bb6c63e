/**
 * The gardenlet's BackupEntry controller (Gardener's `pkg/gardenlet/controller/backupentry`): for
 * every garden BackupEntry placed on this seed (`spec.seedName`) it checks the BackupBucket it
 * names, copies the bucket's credentials into the seed (`garden/entry-<name>`), deploys the
 * extension BackupEntry of the same name — whose actuator writes the `etcd-backup` secret into
 * the control-plane namespace — and reports the outcome in the garden object's status
 * (`lastOperation`, `lastError`, `observedGeneration`, `seedName`).
 *
 * Deleting the garden entry deletes the extension entry — whose actuator deletes the entry's
 * backups (`<entry>/` in its bucket; a Restore's source entry only once its copy is verified) —
 * and the seed's credentials copy. A deleted shoot's entry waits for the deletion grace period
 * first (Gardener's `deletionGracePeriodHours`, `--backup-entry-deletion-grace-period`): it
 * reports `Delete Pending` "Deletion of backup entry is scheduled for <time>" until then, unless
 * annotated `backupentry.core.gardener.cloud/force-deletion=true`. A Restore's `source-…` entry
 * never waits: its deletion is a step of the Restore, and its backups are a copy (after a live
 * migration: superseded by the destination's full snapshot, the annotation
 * `LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION`, which is handed on to the extension entry).
 *
 * Moving between seeds (the shoot's Migrate sets `spec.seedName` to the destination): the seed in
 * `status.seedName` migrates the entry first — the extension entry migrates (its `etcd-backup`
 * secret goes), then it and the credentials copy are deleted, never a backup — and reports
 * `Migrate Succeeded` with `status.seedName` null. Only then does the destination take it on; a
 * `gardener.cloud/operation=restore` (the Restore pointing it at a new bucket) is handled like
 * `reconcile`.
 *
 * The extension entry carries the namespace of its garden entry in a label (its name is the
 * garden entry's), so the controller's watch of extension entries maps each change back to the
 * garden entry at once — right after a restart too. An extension entry created before the label
 * existed gets it at its garden entry's next reconcile (every entry reconciles when the gardenlet
 * starts); until then the entry's own requeue looks at it. Its name alone does not tell the
 * garden namespace: that is the Project's `spec.namespace`, which need not be `garden-<project>`.
 */

import { secretResource } from '../../api/core/secret.js';
import { type BackupBucket, backupBucketResource } from '../../api/core-gardener/backup-bucket.js';
import {
  type BackupEntry,
  backupEntryResource,
  backupEntrySpecSeedName,
  backupEntryStatusSeedName,
  LATEST_SNAPSHOT_ANNOTATION,
} from '../../api/core-gardener/backup-entry.js';
import { RESTORE_PROGRESS_ANNOTATION } from '../../api/core-gardener/restore-progress.js';
import { isForbidden } from '../../api/errors.js';
import {
  type ExtensionBackupEntry,
  extensionBackupEntryResource,
  isSourceBackupEntry,
  LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION,
} from '../../api/extensions/backup-entry.js';
import {
  ExtensionOperation,
  extensionNotReadyReason,
  extensionOperation,
  GARDENER_OPERATION_ANNOTATION,
  isExtensionMigrated,
  OPERATION_RECONCILE,
} from '../../api/extensions/common.js';
import type { KubeObject } from '../../api/meta.js';
import { addFinalizer, removeFinalizer } from '../../client/finalizers.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { applySecretData, secretDataOf } from '../secret-data.js';
import {
  type BackupControllerDeps,
  type BackupStatusReport,
  backupObjectNotReadyReason,
  dropRequestedOperation,
  entrySecretName,
  GARDENER_FINALIZER,
  reportBackupStatus,
  requestedOperation,
  SEED_GARDEN_NAMESPACE,
  specCovers,
} from './backup-common.js';
import { findForThisSeed } from './seed-scoped-read.js';

const pendingRequeueMs = 250;
const errorRequeueMs = 5_000;
/** The longest wait before a scheduled deletion is looked at again (timers are not for days). */
const maxGraceRequeueMs = 3_600_000;

/** Gardener's annotation that deletes a BackupEntry at once, whatever the grace period. */
export const BACKUP_ENTRY_FORCE_DELETION_ANNOTATION = 'backupentry.core.gardener.cloud/force-deletion';

/**
 * Gardener's default `deletionGracePeriodHours` is 0: a deleted shoot's backups go with it (an
 * operator who wants them kept for a while sets the period).
 */
export const DEFAULT_BACKUP_ENTRY_DELETION_GRACE_PERIOD_MS = 0;

/**
 * How much longer the garden entry waits before its backups are deleted: 0 for a source entry,
 * a forced deletion or once the grace period since its deletionTimestamp has passed.
 */
export function deletionGraceRemainingMs(entry: BackupEntry, gracePeriodMs: number, now = Date.now()): number {
  if (isSourceBackupEntry(entry) || gracePeriodMs <= 0) return 0;
  if (entry.metadata.annotations?.[BACKUP_ENTRY_FORCE_DELETION_ANNOTATION] === 'true') return 0;
  const deletedAt = Date.parse(entry.metadata.deletionTimestamp ?? '');
  if (Number.isNaN(deletedAt)) return 0;
  return Math.max(0, deletedAt + gracePeriodMs - now);
}

/** On an extension BackupEntry: the namespace of the garden BackupEntry it stands for. */
export const GARDEN_BACKUP_ENTRY_NAMESPACE_LABEL = 'transplant.gardener.cloud/backupentry-namespace';

/**
 * The garden BackupEntry behind an extension BackupEntry, for the controller's watch of extension
 * entries: a change of one (ready, migrated, gone) moves its garden entry on at once rather than
 * at the next requeue — these steps are on a migration's critical path.
 */
export function gardenBackupEntryOf(extension: KubeObject): ObjectKey[] {
  const namespace = extension.metadata.labels?.[GARDEN_BACKUP_ENTRY_NAMESPACE_LABEL];
  return namespace ? [{ namespace, name: extension.metadata.name ?? '' }] : [];
}

/** A read refused because the entry it was for has changed since (`#unlessSuperseded`). */
const superseded = Symbol('superseded');

/**
 * What of a garden BackupEntry concerns this controller: everything but its resourceVersion, its
 * managed fields and the annotations the seed's reporters write (the newest snapshot's time, a
 * Restore's progress, up to once a second), which would otherwise each cost a reconcile.
 */
export function backupEntryRelevantState(entry: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, annotations = {}, ...metadata } = entry.metadata;
  const {
    [LATEST_SNAPSHOT_ANNOTATION]: _latest,
    [RESTORE_PROGRESS_ANNOTATION]: _progress,
    ...otherAnnotations
  } = annotations;
  return JSON.stringify({ ...entry, metadata: { ...metadata, annotations: otherAnnotations } });
}

export class BackupEntryReconciler implements Reconciler {
  readonly #deps: BackupControllerDeps;

  constructor(deps: BackupControllerDeps) {
    this.#deps = deps;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const entry = await findForThisSeed(this.#entries(), key.namespace, key.name);
    if (!entry) return {};
    const seedName = this.#deps.seedName;
    const specSeed = backupEntrySpecSeedName(entry);
    const statusSeed = backupEntryStatusSeedName(entry);
    if (statusSeed === seedName && specSeed !== undefined && specSeed !== seedName) return this.#migrate(entry);
    // Not placed here, or the seed it is leaving has not let go of it yet.
    if (specSeed !== seedName || (statusSeed !== undefined && statusSeed !== seedName)) return {};
    return entry.metadata.deletionTimestamp ? this.#delete(entry) : this.#reconcile(entry);
  }

  /** Hands the entry over to the seed in `spec.seedName`; the backups stay where they are (migrate is not delete). */
  async #migrate(entry: BackupEntry): Promise<Result> {
    const name = entry.metadata.name!;
    const extensions = this.#extensions();
    const extension = await extensions.find('', name);
    if (extension) {
      await this.#labelExtension(entry, extension);
      const migrated =
        isExtensionMigrated(extension) &&
        !extensionOperation(extension) &&
        (extension.metadata.finalizers ?? []).length === 0;
      if (!migrated) {
        if (!isExtensionMigrated(extension) && extensionOperation(extension) !== ExtensionOperation.Migrate) {
          await extensions.patch('', name, {
            metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Migrate } },
          });
        }
        await this.#report(entry, {
          type: 'Migrate',
          state: 'Processing',
          description: 'Migrating the extension BackupEntry.',
        });
        return { requeueAfterMs: pendingRequeueMs };
      }
      await extensions.deleteIfPresent('', name);
    }
    await this.#deps.seed.resource(secretResource).deleteIfPresent(SEED_GARDEN_NAMESPACE, entrySecretName(name));
    await this.#report(entry, {
      type: 'Migrate',
      state: 'Succeeded',
      description: 'Backup Entry has been successfully migrated.',
      fields: { seedName: null },
    });
    return {};
  }

  async #reconcile(entry: BackupEntry): Promise<Result> {
    await addFinalizer(this.#entries(), entry, GARDENER_FINALIZER);
    const bucketName = entry.spec.bucketName;
    const bucket = await this.#unlessSuperseded(entry, () => this.#bucket(bucketName));
    if (bucket === superseded) return {};
    if (!bucket) {
      const message = `BackupBucket "${bucketName}" named in spec.bucketName does not exist`;
      await this.#report(entry, { state: 'Error', description: message, error: message });
      return { requeueAfterMs: errorRequeueMs };
    }
    const bucketNotReady = backupObjectNotReadyReason(bucket);
    if (bucketNotReady) {
      await this.#report(entry, {
        state: 'Pending',
        description: `associated BackupBucket "${bucketName}" is not ready yet: ${bucketNotReady}`,
      });
      return { requeueAfterMs: pendingRequeueMs };
    }
    const credentials = await this.#unlessSuperseded(entry, () => this.#bucketCredentials(bucket));
    if (credentials === superseded) return {};
    const secretChanged = await applySecretData(
      this.#deps.seed.resource(secretResource),
      SEED_GARDEN_NAMESPACE,
      entrySecretName(entry.metadata.name!),
      credentials,
    );
    // The Restore's `restore` asks for what `reconcile` does: deploy the extension entry again.
    const operation = requestedOperation(entry);
    const reconcileRequested = operation === OPERATION_RECONCILE || operation === ExtensionOperation.Restore;
    const replaced = await this.#replaceExtensionOfOtherType(entry, bucket);
    if (replaced) {
      await this.#report(entry, { state: 'Processing', description: replaced });
      return { requeueAfterMs: pendingRequeueMs };
    }
    const extension = await this.#deployExtension(entry, bucket, secretChanged || reconcileRequested);
    if (reconcileRequested) {
      await this.#report(entry, {
        ...(operation === ExtensionOperation.Restore ? { type: 'Restore' as const } : {}),
        state: 'Processing',
        description: 'Reconciling the extension BackupEntry.',
      });
      await dropRequestedOperation(this.#entries(), entry);
      return { requeueAfterMs: pendingRequeueMs };
    }
    const error = extension.status?.lastError?.description;
    if (error) {
      const message = `Error reconciling BackupEntry: ${error}`;
      await this.#report(entry, { state: 'Error', description: message, error: message });
      return { requeueAfterMs: errorRequeueMs };
    }
    const notReady = extensionNotReadyReason(extension);
    if (notReady) {
      await this.#report(entry, {
        state: 'Processing',
        description: `Waiting for the extension BackupEntry: ${notReady}`,
      });
      return { requeueAfterMs: pendingRequeueMs };
    }
    await this.#report(entry, {
      state: 'Succeeded',
      description: 'Backup Entry has been successfully reconciled.',
      fields: { seedName: this.#deps.seedName },
    });
    return {};
  }

  async #delete(entry: BackupEntry): Promise<Result> {
    if (!(entry.metadata.finalizers ?? []).includes(GARDENER_FINALIZER)) return {};
    const waitMs = deletionGraceRemainingMs(entry, this.#deps.backupEntryDeletionGracePeriodMs ?? 0);
    if (waitMs > 0) {
      const at = new Date(Date.parse(entry.metadata.deletionTimestamp!) + this.#deps.backupEntryDeletionGracePeriodMs!);
      await this.#report(entry, {
        state: 'Pending',
        description: `Deletion of backup entry is scheduled for ${at.toISOString()}`,
      });
      return { requeueAfterMs: Math.min(waitMs, maxGraceRequeueMs) };
    }
    const name = entry.metadata.name!;
    const extensions = this.#extensions();
    const extension = await extensions.find('', name);
    if (extension) {
      if (!extension.metadata.deletionTimestamp) await extensions.deleteIfPresent('', name);
      // The actuator refuses (e.g. a source copy not verified in the destination): say why.
      const deleting = extension.metadata.deletionTimestamp && extension.status?.lastOperation?.type === 'Delete';
      const error = deleting ? extension.status?.lastError?.description : undefined;
      if (error) {
        const message = `Error deleting BackupEntry: ${error}`;
        await this.#report(entry, { state: 'Error', description: message, error: message });
        return { requeueAfterMs: errorRequeueMs };
      }
      await this.#report(entry, {
        state: 'Processing',
        description: 'Waiting until the extension BackupEntry and its backups are gone.',
      });
      return { requeueAfterMs: pendingRequeueMs };
    }
    await this.#deps.seed.resource(secretResource).deleteIfPresent(SEED_GARDEN_NAMESPACE, entrySecretName(name));
    await removeFinalizer(this.#entries(), entry, GARDENER_FINALIZER);
    return {};
  }

  /**
   * An extension entry's `spec.type` is immutable, but the garden entry's bucket can be of another
   * provider than before: the Restore moves it into the destination seed's bucket, and this seed
   * may have taken the entry on while it still named the source's (gardener#10527). The old
   * extension entry is migrated first and only then deleted, so that its deletion removes its
   * `etcd-backup` secret but never the backups in the bucket it named (the source copy a Restore
   * still needs); the new one is created in its place. Says what is going on while that happens.
   */
  async #replaceExtensionOfOtherType(entry: BackupEntry, bucket: BackupBucket): Promise<string | undefined> {
    const name = entry.metadata.name!;
    const extensions = this.#extensions();
    const current = await extensions.find('', name);
    if (!current) return undefined;
    const wanted = bucket.spec.provider.type;
    const type = current.spec.type;
    if (!current.metadata.deletionTimestamp && type === wanted) return undefined;
    const migrated = isExtensionMigrated(current) && (current.metadata.finalizers ?? []).length === 0;
    if (!migrated && !current.metadata.deletionTimestamp) {
      if (extensionOperation(current) !== ExtensionOperation.Migrate) {
        await extensions.patch('', name, {
          metadata: { annotations: { [GARDENER_OPERATION_ANNOTATION]: ExtensionOperation.Migrate } },
        });
      }
    } else if (!current.metadata.deletionTimestamp) {
      await extensions.deleteIfPresent('', name);
    }
    return `Replacing the extension BackupEntry of type "${type}" with one of type "${wanted}" (BackupBucket "${bucket.metadata.name}").`;
  }

  async #deployExtension(
    entry: BackupEntry,
    bucket: BackupBucket,
    credentialsChanged: boolean,
  ): Promise<ExtensionBackupEntry> {
    const name = entry.metadata.name!;
    const extensions = this.#extensions();
    const providerStatus = bucket.status?.providerStatus;
    const spec: ExtensionBackupEntry['spec'] = {
      type: bucket.spec.provider.type,
      region: bucket.spec.provider.region || 'local',
      bucketName: bucket.metadata.name!,
      secretRef: { name: entrySecretName(name), namespace: SEED_GARDEN_NAMESPACE },
      ...(providerStatus ? { backupBucketProviderStatus: providerStatus } : {}),
    };
    const labels = extensionLabels(entry);
    // A live migration's source entry tells its actuator what supersedes the source's backups.
    const liveRevision = entry.metadata.annotations?.[LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION];
    const handedOn: Record<string, string> =
      liveRevision !== undefined ? { [LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION]: liveRevision } : {};
    const current = await extensions.find('', name);
    if (!current) return extensions.create('', { metadata: { name, labels, annotations: handedOn }, spec });
    const labelled = current.metadata.labels?.[GARDEN_BACKUP_ENTRY_NAMESPACE_LABEL] === entry.metadata.namespace;
    const annotated = current.metadata.annotations?.[LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION] === liveRevision;
    if (labelled && annotated && specCovers(current, { ...spec }) && !credentialsChanged) return current;
    const annotations = {
      ...handedOn,
      ...(credentialsChanged ? { [GARDENER_OPERATION_ANNOTATION]: OPERATION_RECONCILE } : {}),
    };
    return extensions.patch('', name, { metadata: { annotations, labels }, spec });
  }

  /** Labels an extension entry created before the label existed (see the module comment). */
  async #labelExtension(entry: BackupEntry, extension: ExtensionBackupEntry): Promise<void> {
    if (extension.metadata.labels?.[GARDEN_BACKUP_ENTRY_NAMESPACE_LABEL] === entry.metadata.namespace) return;
    await this.#extensions().patch('', extension.metadata.name!, { metadata: { labels: extensionLabels(entry) } });
  }

  /** The bucket's credentials from the garden: its generated secret when it has one, else `spec.secretRef`'s. */
  async #bucketCredentials(bucket: BackupBucket): Promise<Record<string, string>> {
    const ref = bucket.status?.generatedSecretRef ?? bucket.spec.secretRef ?? {};
    const namespace = ref.namespace || SEED_GARDEN_NAMESPACE;
    const name = ref.name ?? '';
    const secret = await this.#deps.garden.resource(secretResource).find(namespace, name);
    if (!secret) throw new Error(`secret ${namespace}/${name} of BackupBucket ${bucket.metadata.name} does not exist`);
    return secretDataOf(secret);
  }

  /**
   * Runs the reads of `entry`'s bucket and its secret. The garden allows them while the entry names
   * that bucket and this seed; an entry handed over by a migration changes under a running
   * reconcile (the destination's Restore points it at its own bucket moments after the source
   * placed it here), and the garden then refuses the reads of the version being reconciled. A
   * refusal is `superseded` when the entry as stored now names another bucket or seed: the newer
   * version's own event reconciles it. Any other refusal stands.
   */
  async #unlessSuperseded<T>(entry: BackupEntry, reads: () => Promise<T>): Promise<T | typeof superseded> {
    try {
      return await reads();
    } catch (err) {
      if (!isForbidden(err)) throw err;
      const now = await findForThisSeed(this.#entries(), entry.metadata.namespace!, entry.metadata.name!);
      const unchanged =
        now !== null &&
        now.spec.bucketName === entry.spec.bucketName &&
        backupEntrySpecSeedName(now) === this.#deps.seedName;
      if (unchanged) throw err;
      return superseded;
    }
  }

  async #bucket(name: string): Promise<BackupBucket | null> {
    return name ? this.#deps.garden.resource(backupBucketResource).find('', name) : null;
  }

  async #report(entry: BackupEntry, report: BackupStatusReport): Promise<void> {
    await reportBackupStatus(this.#entries(), entry, report);
  }

  #entries() {
    return this.#deps.garden.resource(backupEntryResource);
  }

  #extensions() {
    return this.#deps.seed.resource(extensionBackupEntryResource);
  }
}

function extensionLabels(entry: BackupEntry): Record<string, string> {
  return { [GARDEN_BACKUP_ENTRY_NAMESPACE_LABEL]: entry.metadata.namespace ?? '' };
}
