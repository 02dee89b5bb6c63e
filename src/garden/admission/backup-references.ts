/**
 * The backup part of Gardener's ResourceReferenceManager admission plugin:
 *
 * - a BackupEntry may only name a BackupBucket and a Seed that exist (checked when the field is
 *   set or changed);
 * - a BackupBucket may only name a Seed and a credentials Secret that exist;
 * - a BackupBucket cannot be deleted while BackupEntries reference it — its finalizer would
 *   otherwise hold it in deletion, and the entries' backups would lose their home.
 *
 * References are 403 Forbidden with the missing object named, as Gardener answers.
 */

import {
  type BackupBucket,
  backupBucketResource,
  backupBucketSeedName,
} from '../../api/core-gardener/backup-bucket.js';
import { backupEntryResource, backupEntrySpecSeedName } from '../../api/core-gardener/backup-entry.js';
import { GARDENER_GROUP } from '../../api/core-gardener/common.js';
import type { Seed } from '../../api/core-gardener/seed.js';
import { forbidden } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { storedAs } from '../../apiserver/stored-object.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../../apiserver/types.js';

/** How the plugin reads the objects a reference names (the garden's client); null: there is none. */
export interface BackupReferenceLookups {
  getSeed(name: string): Promise<Seed | null>;
  getBackupBucket(name: string): Promise<BackupBucket | null>;
  getSecret(namespace: string, name: string): Promise<KubeObject | null>;
  /** `namespace/name` of every BackupEntry whose `spec.bucketName` is `bucket`. */
  backupEntriesOf(bucket: string): Promise<string[]>;
}

export class BackupReferences implements AdmissionPlugin {
  readonly name = 'BackupReferences';
  readonly #lookups: BackupReferenceLookups;

  constructor(lookups: BackupReferenceLookups) {
    this.#lookups = lookups;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE' || operation === 'DELETE';
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.kind.group !== GARDENER_GROUP || attrs.subresource !== '') return;
    const resource = { group: GARDENER_GROUP, resource: attrs.resource };
    const reject = (reason: string) => forbidden(resource, attrs.name || (attrs.object.metadata.name ?? ''), reason);
    if (attrs.resource === 'backupbuckets' && attrs.operation === 'DELETE') {
      const entries = await this.#lookups.backupEntriesOf(attrs.name);
      if (entries.length > 0) {
        throw reject(
          `cannot delete BackupBucket because BackupEntries are still referencing it, backupEntryNames: ${entries.join(',')}`,
        );
      }
      return;
    }
    if (attrs.operation === 'DELETE') return;
    // Both passed the kind's validation (the request) or are stored: src/apiserver/stored-object.ts.
    const changed = (value: unknown, old: unknown) => !attrs.oldObject || JSON.stringify(value) !== JSON.stringify(old);
    if (attrs.resource === 'backupentries') {
      const entry = storedAs(backupEntryResource, attrs.object);
      const old = attrs.oldObject && storedAs(backupEntryResource, attrs.oldObject);
      const seedName = backupEntrySpecSeedName(entry);
      if (seedName && changed(entry.spec.seedName, old?.spec.seedName) && !(await this.#lookups.getSeed(seedName))) {
        throw reject(`seed "${seedName}" named in spec.seedName not found`);
      }
      const bucketName = entry.spec.bucketName;
      if (
        bucketName &&
        changed(bucketName, old?.spec.bucketName) &&
        !(await this.#lookups.getBackupBucket(bucketName))
      ) {
        throw reject(`backupbucket.core.gardener.cloud "${bucketName}" named in spec.bucketName not found`);
      }
    } else if (attrs.resource === 'backupbuckets') {
      const bucket = storedAs(backupBucketResource, attrs.object);
      const old = attrs.oldObject && storedAs(backupBucketResource, attrs.oldObject);
      const seedName = backupBucketSeedName(bucket);
      if (seedName && changed(bucket.spec.seedName, old?.spec.seedName) && !(await this.#lookups.getSeed(seedName))) {
        throw reject(`seed "${seedName}" named in spec.seedName not found`);
      }
      const secretRef = bucket.spec.secretRef;
      const secretName = secretRef?.name;
      const secretNamespace = secretRef?.namespace || 'garden';
      if (
        secretName &&
        changed(secretRef, old?.spec.secretRef) &&
        !(await this.#lookups.getSecret(secretNamespace, secretName))
      ) {
        throw reject(`secret "${secretNamespace}/${secretName}" named in spec.secretRef not found`);
      }
    }
  }
}
