/**
 * The gardenlet's BackupBucket controller (Gardener's `pkg/gardenlet/controller/backupbucket`):
 * for every garden BackupBucket of this seed it copies the credentials into the seed
 * (`garden/bucket-<name>`), deploys the extension BackupBucket of the same name, and reports the
 * extension's outcome in the garden object's status. A generated secret the extension publishes
 * is copied back into the garden (`garden/generated-bucket-<name>`, `status.generatedSecretRef`).
 *
 * Deletion waits while BackupEntries still reference the bucket; then the extension object and
 * the seed's copy of the credentials go. The bucket and its contents stay (see backup-actuators.ts).
 *
 * Also here: the seed's own BackupBucket in the garden (named after the seed's UID, as Gardener
 * names it) and the seed condition `BackupBucketsReady`.
 */

import { secretResource } from '../../api/core/secret.js';
import {
  type BackupBucket,
  backupBucketResource,
  backupBucketSeedName,
} from '../../api/core-gardener/backup-bucket.js';
import { backupEntryResource } from '../../api/core-gardener/backup-entry.js';
import { GARDENER_API_VERSION } from '../../api/core-gardener/common.js';
import { type Seed, seedBackupSecretRef } from '../../api/core-gardener/seed.js';
import { type ExtensionBackupBucket, extensionBackupBucketResource } from '../../api/extensions/backup-bucket.js';
import {
  extensionNotReadyReason,
  GARDENER_OPERATION_ANNOTATION,
  OPERATION_RECONCILE,
} from '../../api/extensions/common.js';
import { controllerReference } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { createOrPatch } from '../../client/create-or-patch.js';
import { addFinalizer, removeFinalizer } from '../../client/finalizers.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { applySecretData, secretDataOf } from '../secret-data.js';
import {
  type BackupControllerDeps,
  type BackupStatusReport,
  bucketSecretName,
  GARDENER_FINALIZER,
  generatedBucketSecretName,
  reportBackupStatus,
  SEED_GARDEN_NAMESPACE,
  specCovers,
} from './backup-common.js';

/** How soon a bucket is looked at again while its extension works, and after an error. */
const pendingRequeueMs = 250;
const errorRequeueMs = 5_000;

/** The seed's BackupBucket in the garden: named after the seed's UID, owned by the Seed. */
export function seedBackupBucket(seed: Seed): BackupBucket | undefined {
  const backup = seed.spec.backup;
  const secretRef = seedBackupSecretRef(seed);
  if (!backup || !secretRef) return undefined;
  return {
    apiVersion: GARDENER_API_VERSION,
    kind: 'BackupBucket',
    metadata: {
      name: seed.metadata.uid!,
      ownerReferences: [controllerReference({ ...seed, apiVersion: GARDENER_API_VERSION, kind: 'Seed' }, true)],
    },
    spec: {
      provider: { type: backup.provider, region: backup.region ?? '' },
      ...(backup.providerConfig ? { providerConfig: backup.providerConfig } : {}),
      secretRef,
      seedName: seed.metadata.name,
    },
  };
}

/** Creates or updates the seed's BackupBucket in the garden; undefined when the seed has no backup. */
export async function deploySeedBackupBucket(garden: Client, seed: Seed): Promise<BackupBucket | undefined> {
  const desired = seedBackupBucket(seed);
  if (!desired) return undefined;
  return createOrPatch(garden.resource(backupBucketResource), '', desired, { spec: desired.spec });
}

export interface SeedCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/**
 * `BackupBucketsReady` as Gardener's backupbucketscheck computes it: False listing the buckets
 * with a last error, True when the seed has buckets, Unknown when it has none.
 */
export function backupBucketsCondition(buckets: readonly BackupBucket[]): SeedCondition {
  const erroneous = buckets.flatMap((b) => {
    const error = b.status?.lastError;
    return error ? [`* ${b.metadata.name}: ${error.description}`] : [];
  });
  if (erroneous.length > 0) {
    return {
      type: 'BackupBucketsReady',
      status: 'False',
      reason: 'BackupBucketsError',
      message: `The following BackupBuckets have issues:\n${erroneous.join('\n')}`,
    };
  }
  if (buckets.length > 0) {
    return {
      type: 'BackupBucketsReady',
      status: 'True',
      reason: 'BackupBucketsAvailable',
      message: 'Backup Buckets are available.',
    };
  }
  return {
    type: 'BackupBucketsReady',
    status: 'Unknown',
    reason: 'BackupBucketsGone',
    message: 'Backup Buckets are gone.',
  };
}

/** The seed's BackupBuckets from the garden, as the condition judges them. */
export async function seedBackupBucketsCondition(garden: Client, seedName: string): Promise<SeedCondition> {
  const list = await garden.resource(backupBucketResource).list('', { fieldSelector: `spec.seedName=${seedName}` });
  return backupBucketsCondition(list.items);
}

export class BackupBucketReconciler implements Reconciler {
  readonly #deps: BackupControllerDeps;

  constructor(deps: BackupControllerDeps) {
    this.#deps = deps;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const bucket = await this.#buckets().find('', key.name);
    if (!bucket || backupBucketSeedName(bucket) !== this.#deps.seedName) return {};
    return bucket.metadata.deletionTimestamp ? this.#delete(bucket) : this.#reconcile(bucket);
  }

  async #reconcile(bucket: BackupBucket): Promise<Result> {
    const name = bucket.metadata.name!;
    await addFinalizer(this.#buckets(), bucket, GARDENER_FINALIZER);
    const credentials = await this.#gardenSecret(bucket);
    if (!credentials.ok) {
      await this.#report(bucket, { state: 'Error', description: credentials.error, error: credentials.error });
      return { requeueAfterMs: errorRequeueMs };
    }
    const secretChanged = await applySecretData(
      this.#deps.seed.resource(secretResource),
      SEED_GARDEN_NAMESPACE,
      bucketSecretName(name),
      credentials.data,
    );
    const extension = await this.#deployExtension(bucket, secretChanged);
    const error = extension.status?.lastError?.description;
    if (error) {
      const message = `Error reconciling BackupBucket: ${error}`;
      await this.#report(bucket, { state: 'Error', description: message, error: message });
      return { requeueAfterMs: errorRequeueMs };
    }
    const notReady = extensionNotReadyReason(extension);
    if (notReady) {
      await this.#report(bucket, {
        state: 'Processing',
        description: `Waiting for the extension BackupBucket: ${notReady}`,
      });
      return { requeueAfterMs: pendingRequeueMs };
    }
    const generatedSecretRef = await this.#copyGeneratedSecret(bucket, extension);
    await this.#report(bucket, {
      state: 'Succeeded',
      description: 'Backup Bucket has been successfully reconciled.',
      fields: {
        generatedSecretRef: generatedSecretRef ?? null,
        providerStatus: extension.status?.providerStatus ?? null,
      },
    });
    return {};
  }

  async #delete(bucket: BackupBucket): Promise<Result> {
    if (!(bucket.metadata.finalizers ?? []).includes(GARDENER_FINALIZER)) return {};
    const name = bucket.metadata.name!;
    const entries = await this.#deps.garden
      .resource(backupEntryResource)
      .list('', { fieldSelector: `spec.bucketName=${name}` });
    if (entries.items.length > 0) {
      const names = entries.items.map((e) => `${e.metadata.namespace}/${e.metadata.name}`).join(', ');
      const message = `cannot delete BackupBucket because the following BackupEntries are still referencing it: ${names}`;
      await this.#report(bucket, { state: 'Error', description: message, error: message });
      return { requeueAfterMs: errorRequeueMs };
    }
    const extensions = this.#deps.seed.resource(extensionBackupBucketResource);
    if (await extensions.find('', name)) {
      await extensions.deleteIfPresent('', name);
      await this.#report(bucket, {
        state: 'Processing',
        description: 'Waiting until the extension BackupBucket is gone.',
      });
      return { requeueAfterMs: pendingRequeueMs };
    }
    await this.#deps.seed.resource(secretResource).deleteIfPresent(SEED_GARDEN_NAMESPACE, bucketSecretName(name));
    await this.#deleteGardenSecret(generatedBucketSecretName(name));
    await removeFinalizer(this.#buckets(), bucket, GARDENER_FINALIZER);
    return {};
  }

  /** The extension BackupBucket in line with the garden's; `reconcile` requested when only the credentials changed. */
  async #deployExtension(bucket: BackupBucket, credentialsChanged: boolean): Promise<ExtensionBackupBucket> {
    const name = bucket.metadata.name!;
    const extensions = this.#deps.seed.resource(extensionBackupBucketResource);
    const { provider, providerConfig } = bucket.spec;
    const spec: ExtensionBackupBucket['spec'] = {
      type: provider.type,
      region: provider.region || 'local',
      secretRef: { name: bucketSecretName(name), namespace: SEED_GARDEN_NAMESPACE },
      ...(providerConfig ? { providerConfig } : {}),
    };
    const current = await extensions.find('', name);
    if (!current) return extensions.create('', { metadata: { name }, spec });
    if (specCovers(current, { ...spec }) && !credentialsChanged) return current;
    const annotations = credentialsChanged ? { [GARDENER_OPERATION_ANNOTATION]: OPERATION_RECONCILE } : undefined;
    return extensions.patch('', name, { metadata: { annotations }, spec });
  }

  /** The credentials `spec.secretRef` names in the garden, or why they cannot be read. */
  async #gardenSecret(
    bucket: BackupBucket,
  ): Promise<{ ok: true; data: Record<string, string> } | { ok: false; error: string }> {
    const ref = bucket.spec.secretRef;
    if (ref?.name === undefined) return { ok: false, error: 'spec.secretRef names no secret' };
    const namespace = ref.namespace || SEED_GARDEN_NAMESPACE;
    const secret = await this.#deps.garden.resource(secretResource).find(namespace, ref.name);
    if (!secret)
      return { ok: false, error: `secret ${namespace}/${ref.name} referenced by spec.secretRef does not exist` };
    return { ok: true, data: secretDataOf(secret) };
  }

  /** Copies the extension's generated secret into the garden; its reference for the status. */
  async #copyGeneratedSecret(
    bucket: BackupBucket,
    extension: ExtensionBackupBucket,
  ): Promise<{ name: string; namespace: string } | undefined> {
    const ref = extension.status?.generatedSecretRef;
    const name = generatedBucketSecretName(bucket.metadata.name!);
    if (!ref?.name) {
      await this.#deleteGardenSecret(name);
      return undefined;
    }
    const generated = await this.#deps.seed
      .resource(secretResource)
      .get(ref.namespace || SEED_GARDEN_NAMESPACE, ref.name);
    const data = secretDataOf(generated);
    await createOrPatch(
      this.#deps.garden.resource(secretResource),
      SEED_GARDEN_NAMESPACE,
      { metadata: { name, namespace: SEED_GARDEN_NAMESPACE }, type: 'Opaque', data },
      { data },
    );
    return { name, namespace: SEED_GARDEN_NAMESPACE };
  }

  /** Looks first: the gardenlet may only delete what exists (and usually nothing was generated). */
  async #deleteGardenSecret(name: string): Promise<void> {
    const secrets = this.#deps.garden.resource(secretResource);
    if (await secrets.find(SEED_GARDEN_NAMESPACE, name)) await secrets.deleteIfPresent(SEED_GARDEN_NAMESPACE, name);
  }

  async #report(bucket: BackupBucket, report: BackupStatusReport): Promise<void> {
    if (await reportBackupStatus(this.#buckets(), bucket, report)) this.#deps.onStatusChange?.();
  }

  #buckets() {
    return this.#deps.garden.resource(backupBucketResource);
  }
}
