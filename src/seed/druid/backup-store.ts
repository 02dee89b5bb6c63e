/**
 * Opens the backup store an Etcd or an EtcdCopyBackupsTask names: its `StoreSpec` plus the Secret
 * `secretRef` points to in the seed API (the object's namespace unless the reference says
 * otherwise). A missing or malformed secret is a SnapstoreError('Config') naming the secret.
 */
import type { StoreSpec } from '../../api/druid/common.js';
import { SnapstoreError } from '../../backup/snapstore/errors.js';
import { openSnapstore } from '../../backup/snapstore/open-snapstore.js';
import type { Snapstore } from '../../backup/snapstore/snapstore.js';
import { decodeSecretData, type SecretData, snapstoreConfigFor } from '../../backup/store-secret.js';
import type { ResourceClient } from '../../client/client.js';

/** The store's identity for comparisons: same key, same store and credentials. */
export interface ResolvedStore {
  store: Snapstore;
  /** Changes whenever the spec or the secret's content changes (never contains the secret). */
  key: string;
}

export async function openStoreOf(
  store: StoreSpec,
  namespace: string,
  secrets: ResourceClient,
): Promise<ResolvedStore> {
  let data: SecretData | undefined;
  let secretName = `${namespace}/<no secretRef>`;
  let secretVersion = '';
  if (store.secretRef) {
    const secretNamespace = store.secretRef.namespace || namespace;
    secretName = `${secretNamespace}/${store.secretRef.name}`;
    const secret = await secrets.find(secretNamespace, store.secretRef.name);
    if (!secret) {
      throw new SnapstoreError('Config', `secret ${secretName}`, 'the backup store secret does not exist (yet)');
    }
    data = decodeSecretData(secret as { data?: unknown });
    secretVersion = secret.metadata.resourceVersion ?? '';
  }
  const config = snapstoreConfigFor(store, data, secretName);
  const key = JSON.stringify([
    store.provider,
    store.container,
    store.prefix,
    store.endpointOverride ?? '',
    secretName,
    secretVersion,
  ]);
  return { store: await openSnapstore(config), key };
}
