/**
 * The backup extension's actuators for the `local` and `s3` providers (Gardener's BackupBucket
 * and BackupEntry actuators):
 *
 * - BackupBucket: the bucket exists — for `local` the directory `<root>/<bucket>` (mode 0700),
 *   for `s3` a bucket created through the S3 API when missing. Deleting one never removes the
 *   bucket or anything in it: the entries' backups are theirs to delete.
 * - BackupEntry: the control plane's etcd can reach its backups — the secret `etcd-backup`
 *   (`source-etcd-backup` for a Restore's `source-…` entry) in the control-plane namespace holds
 *   `bucketName` plus the provider credentials, the keys `snapstoreConfigFor` reads.
 *
 * Deleting an entry deletes its backups, as Gardener's provider extensions do: every object under
 * `<entry>/` in its bucket (etcd-main's full and delta snapshots, chunks, anything else there).
 * The gardenlet deletes the extension entry only when its garden BackupEntry goes (after the
 * deletion grace period for a deleted shoot's entry). Two guards keep that from deleting the only
 * copy of anything:
 *
 * - A migrated entry (moved to another seed: `Migrate Succeeded`) deletes nothing — migrate is
 *   not delete; the backups now belong to the entry on the other seed.
 * - A Restore's `source-…` entry names the source bucket, whose backups were copied to the
 *   destination entry's bucket under the same `<entry>/` prefix. Its deletion first checks that
 *   the destination holds every backup of etcd-main the source holds (same name, size and
 *   SHA-256, the destination's bytes read and hashed) and fails until it does; it refuses outright
 *   when both name the same store. Without access to the source store it keeps failing, and an
 *   operator removes its finalizer (the seed document's manual path), then deletes the source
 *   backups with `transplant backup delete`.
 * - A `source-…` entry of a live migration (annotated with the revision a full snapshot must
 *   reach, `LIVE_MIGRATION_FULL_SNAPSHOT_REVISION_ANNOTATION`) had nothing copied: the cluster
 *   itself moved. Its deletion waits, deleting nothing, until the destination bucket holds a full
 *   snapshot at that revision or above and at or above the newest source backup, read back and
 *   verified (`findSupersedingSnapshot`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { namespaceResource } from '../../api/core/namespace.js';
import { secretResource } from '../../api/core/secret.js';
import type { ExtensionBackupBucket } from '../../api/extensions/backup-bucket.js';
import {
  type ExtensionBackupEntry,
  extensionBackupEntryResource,
  isSourceBackupEntry,
  liveMigrationFullSnapshotRevision,
  SOURCE_BACKUP_ENTRY_PREFIX,
} from '../../api/extensions/backup-entry.js';
import { type ExtensionObject, isExtensionMigrated } from '../../api/extensions/common.js';
import type { KubeObject } from '../../api/meta.js';
import { findMissingCopies } from '../../backup/copier.js';
import { deletePrefix } from '../../backup/prefix-deletion.js';
import { s3CredentialsFromFields } from '../../backup/snapstore/credentials.js';
import { openSnapstore } from '../../backup/snapstore/open-snapstore.js';
import type { S3Snapstore } from '../../backup/snapstore/s3-snapstore.js';
import type { Snapstore } from '../../backup/snapstore/snapstore.js';
import { decodeSecretData, type SecretData, snapstoreConfigFor } from '../../backup/store-secret.js';
import { findSupersedingSnapshot } from '../../backup/superseding-snapshot.js';
import type { Client, ResourceClient } from '../../client/client.js';
import { applySecretData, secretDataOf } from '../secret-data.js';
import type { Actuator } from './actuator.js';

/** The secret the druid reads a control plane's backup store from (Gardener's `BackupSecretName`). */
export const ETCD_BACKUP_SECRET = 'etcd-backup';
/** The secret of the source store during a Restore. */
export const SOURCE_ETCD_BACKUP_SECRET = 'source-etcd-backup';

/** The secret `spec.secretRef` names, decoded; a clear error when it is missing. */
async function referencedSecret(
  obj: ExtensionBackupBucket | ExtensionBackupEntry,
  secrets: ResourceClient,
): Promise<KubeObject> {
  const kind = `${obj.kind ?? 'object'} ${obj.metadata.name}`;
  const ref = obj.spec.secretRef;
  const namespace = ref.namespace || 'garden';
  const secret = await secrets.find(namespace, ref.name);
  if (!secret) throw new Error(`secret ${namespace}/${ref.name} referenced by ${kind} does not exist`);
  return secret;
}

function unsupportedProvider(obj: ExtensionObject): Error {
  return new Error(
    `${obj.kind ?? 'object'} ${obj.metadata.name}: unsupported provider type ${JSON.stringify(obj.spec.type)} (supported: local, s3)`,
  );
}

function localRoot(obj: ExtensionObject, data: SecretData): string {
  const root = data.root ?? data.hostPath;
  if (!root) throw new Error(`the secret of ${obj.kind ?? 'object'} ${obj.metadata.name} has no "root" key`);
  return root;
}

async function s3Bucket(name: string, data: SecretData, source: string): Promise<S3Snapstore> {
  const { S3Snapstore } = await import('../../backup/snapstore/s3-snapstore.js');
  return new S3Snapstore({ bucket: name, prefix: '', credentials: s3CredentialsFromFields(source, data) });
}

/** Creates the bucket when missing; never deletes or empties one. */
/** `seed` is the seed API: the Secrets that `spec.secretRef` names. */
export function backupBucketActuator(seed: Client): Actuator<ExtensionBackupBucket> {
  const secrets = seed.resource(secretResource);
  return {
    async reconcile(bucket) {
      const secret = await referencedSecret(bucket, secrets);
      const data = decodeSecretData(secret as { data?: unknown });
      const name = bucket.metadata.name!;
      switch (bucket.spec.type) {
        case 'local':
          // Owner-only: the directory holds every shoot's etcd data of this seed.
          await mkdir(join(localRoot(bucket, data), name), { recursive: true, mode: 0o700 });
          return;
        case 's3': {
          const store = await s3Bucket(name, data, `secret ${secret.metadata.namespace}/${secret.metadata.name}`);
          try {
            await store.ensureBucket();
          } finally {
            store.close();
          }
          return;
        }
        default:
          throw unsupportedProvider(bucket);
      }
    },
    async delete() {},
    async migrate() {
      return undefined;
    },
    async restore() {},
  };
}

/** `shoot--<project>--<shoot>--<uid>` (or `source-…`) → `shoot--<project>--<shoot>`. */
export function controlPlaneNamespaceOf(entry: ExtensionBackupEntry): string {
  const name = entry.metadata.name ?? '';
  const withoutSource = isSourceBackupEntry(entry) ? name.slice('source-'.length) : name;
  const cut = withoutSource.lastIndexOf('--');
  return cut > 0 ? withoutSource.slice(0, cut) : withoutSource;
}

/** Where etcd-main of the shoot whose entry is `entryName` keeps its backups: `<entry>/etcd-main`. */
export function etcdBackupPrefix(entryName: string): string {
  return `${entryName}/etcd-main`;
}

/** The entry whose etcd-main backups are at `prefix` (`etcdBackupPrefix`'s inverse); undefined for another prefix. */
export function entryNameOfEtcdBackupPrefix(prefix: string): string | undefined {
  const suffix = etcdBackupPrefix('');
  if (!prefix.endsWith(suffix)) return undefined;
  const name = prefix.slice(0, -suffix.length);
  return name && !name.includes('/') ? name : undefined;
}

/**
 * A store in `entry`'s bucket, with the credentials of its secretRef: at `prefix` (etcd-main's
 * backups, or the whole `<entry>` for a deletion).
 */
async function openEntryStore(
  entry: ExtensionBackupEntry,
  prefix: string,
  secrets: ResourceClient,
): Promise<Snapstore> {
  const secret = await referencedSecret(entry, secrets);
  const provider = entry.spec.type;
  if (provider !== 'local' && provider !== 's3') throw unsupportedProvider(entry);
  const store = { provider, container: entry.spec.bucketName, prefix } as const;
  const name = `${secret.metadata.namespace}/${secret.metadata.name}`;
  return openSnapstore(snapstoreConfigFor(store, decodeSecretData(secret as { data?: unknown }), name));
}

function closeStore(store: Snapstore): void {
  (store as { close?: () => void }).close?.();
}

/** Runs `work` with the stores, closing them whatever happens. */
async function withStores<T>(stores: Promise<Snapstore>[], work: (stores: Snapstore[]) => Promise<T>): Promise<T> {
  const opened = await Promise.allSettled(stores);
  const ok = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  try {
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
    return await work(ok);
  } finally {
    for (const store of ok) closeStore(store);
  }
}

/** Deletes everything under `<entry>/` in the entry's bucket (a source entry's is its counterpart's name). */
async function deleteEntryBackups(entry: ExtensionBackupEntry, secrets: ResourceClient): Promise<void> {
  await withStores([openEntryStore(entry, entryPrefix(entry), secrets)], ([store]) => deletePrefix(store!));
}

/** The prefix of an entry's backups: its name, or for a Restore's `source-<entry>` the name `<entry>`. */
function entryPrefix(entry: ExtensionBackupEntry): string {
  const name = entry.metadata.name ?? '';
  return isSourceBackupEntry(entry) ? name.slice(SOURCE_BACKUP_ENTRY_PREFIX.length) : name;
}

/**
 * Deletes the source copy of a Restore (`<entry>/` in the source bucket) once the destination
 * bucket makes it redundant; fails, deleting nothing, until then. Classic: every backup of
 * etcd-main there is in the destination bucket. Live: a verified full snapshot there supersedes
 * them. Re-run after a deletion that stopped half-way, it compares what is left (see
 * `deletePrefix` on the order).
 */
async function deleteSourceCopy(source: ExtensionBackupEntry, seed: Client): Promise<void> {
  const entryName = entryPrefix(source);
  const destination = await seed.resource(extensionBackupEntryResource).find('', entryName);
  if (!destination) {
    throw new Error(
      `BackupEntry ${entryName}, where the backups of ${source.metadata.name} were copied to, does not exist`,
    );
  }
  const secrets = seed.resource(secretResource);
  const prefix = etcdBackupPrefix(entryName);
  const liveRevision = liveMigrationFullSnapshotRevision(source);
  await withStores(
    [openEntryStore(source, prefix, secrets), openEntryStore(destination, prefix, secrets)],
    async ([from, to]) => {
      if (from!.provider === to!.provider && from!.location === to!.location) {
        throw new Error(
          `${source.metadata.name} and ${entryName} both name ${from!.location}: deleting the source would delete the only copy`,
        );
      }
      if (liveRevision !== undefined) {
        const found = await findSupersedingSnapshot(from!, to!, liveRevision);
        if (!found.snapshot) throw new Error(`the backups in ${from!.location} are still needed: ${found.reason}`);
        return;
      }
      const missing = await findMissingCopies(from!, to!, { hashTarget: true });
      if (missing.length > 0) {
        throw new Error(
          `${missing.length} backup(s) in ${from!.location} are not (completely) in ${to!.location} yet, e.g. ${missing[0]!.name}`,
        );
      }
    },
  );
  await deleteEntryBackups(source, secrets);
}

function etcdBackupSecretName(entry: ExtensionBackupEntry): string {
  return isSourceBackupEntry(entry) ? SOURCE_ETCD_BACKUP_SECRET : ETCD_BACKUP_SECRET;
}

/**
 * Deploys the `etcd-backup` secret into the control-plane namespace; deleting removes that secret
 * and the entry's backups (see the module comment for what is never deleted).
 *
 * `seed` is the seed API: its Secrets, its Namespaces (an entry's secret goes only into an
 * existing control-plane namespace) and its extension BackupEntries (a source entry's
 * counterpart names the destination bucket).
 */
export function backupEntryActuator(seed: Client): Actuator<ExtensionBackupEntry> {
  const secrets = seed.resource(secretResource);
  const removeSecret = async (entry: ExtensionBackupEntry) => {
    await secrets.deleteIfPresent(controlPlaneNamespaceOf(entry), etcdBackupSecretName(entry));
  };
  return {
    async reconcile(entry) {
      const provider = entry.spec.type;
      if (provider !== 'local' && provider !== 's3') throw unsupportedProvider(entry);
      const bucketName = entry.spec.bucketName;
      const credentials = secretDataOf(await referencedSecret(entry, secrets));
      const namespace = controlPlaneNamespaceOf(entry);
      const ns = await seed.resource(namespaceResource).find('', namespace);
      // The entry outlives its control plane (a deleted or moved shoot): no namespace, no secret.
      if (!ns || ns.metadata.deletionTimestamp) return;
      const data = { ...credentials, bucketName: Buffer.from(bucketName).toString('base64') };
      await applySecretData(secrets, namespace, etcdBackupSecretName(entry), data);
    },
    async delete(entry) {
      await removeSecret(entry);
      if (isExtensionMigrated(entry)) return;
      if (isSourceBackupEntry(entry)) await deleteSourceCopy(entry, seed);
      else await deleteEntryBackups(entry, secrets);
    },
    async migrate(entry) {
      await removeSecret(entry);
      return undefined;
    },
    async restore() {},
  };
}
