/**
 * Registers this seed in the garden: creates the Seed (and the Secret holding its backup
 * location) or brings an existing Seed's provider and backup in line with the flags. An operator's
 * other edits of the Seed stay.
 */

import { secretResource } from '../../api/core/secret.js';
import type { LastOperation } from '../../api/core-gardener/common.js';
import { backupSecretName, type Seed, type SeedSpec, seedResource } from '../../api/core-gardener/seed.js';
import { nowTimestamp } from '../../api/meta.js';
import type { S3Credentials } from '../../backup/snapstore/credentials.js';
import type { Client } from '../../client/client.js';
import { createOrPatch } from '../../client/create-or-patch.js';

/** Where a seed's backups go: a local directory, or an S3(-compatible) store. */
export type SeedBackupConfig =
  | {
      provider: 'local';
      region: string;
      /** The directory under which the seed's bucket lives. */
      root: string;
    }
  | {
      provider: 's3';
      /** The credentials' region. */
      region: string;
      credentials: S3Credentials;
    };

export interface SeedRegistration {
  name: string;
  provider: { type: string; region: string };
  backup?: SeedBackupConfig;
}

/** The garden namespace where seeds' secrets live. */
export const gardenNamespace = 'garden';

export { backupSecretName };

export async function registerSeed(garden: Client, registration: SeedRegistration): Promise<Seed> {
  if (registration.backup) await ensureBackupSecret(garden, registration.name, registration.backup);
  const spec = seedSpec(registration);
  const labels = { 'seed.gardener.cloud/provider': registration.provider.type };
  const seed = { metadata: { name: registration.name, labels }, spec };
  return createOrPatch(garden.resource(seedResource), '', seed, { metadata: { labels }, spec });
}

/**
 * The Seed's `status.lastOperation` once this gardenlet has registered the seed and started its
 * controllers (kubectl's LAST OPERATION column), and the Kubernetes version its API serves.
 */
export async function reportSeedReconciled(
  garden: Client,
  name: string,
  kubernetesVersion: string,
  now = new Date(),
): Promise<void> {
  const lastOperation: LastOperation = {
    type: 'Reconcile',
    state: 'Succeeded',
    progress: 100,
    description: 'Seed cluster has been successfully reconciled.',
    lastUpdateTime: nowTimestamp(now),
  };
  await garden
    .resource(seedResource)
    .patch('', name, { status: { lastOperation, kubernetesVersion } }, { subresource: 'status' });
}

function seedSpec(registration: SeedRegistration): SeedSpec {
  const spec: SeedSpec = { provider: registration.provider };
  if (registration.backup) {
    spec.backup = {
      provider: registration.backup.provider,
      region: registration.backup.region,
      credentialsRef: {
        apiVersion: 'v1',
        kind: 'Secret',
        name: backupSecretName(registration.name),
        namespace: gardenNamespace,
      },
    };
  }
  return spec;
}

async function ensureBackupSecret(garden: Client, seed: string, backup: SeedBackupConfig): Promise<void> {
  const data = Object.fromEntries(
    Object.entries(backupSecretData(backup)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  const secret = { metadata: { name: backupSecretName(seed), namespace: gardenNamespace }, type: 'Opaque', data };
  await createOrPatch(garden.resource(secretResource), gardenNamespace, secret, { data });
}

/**
 * The garden secret's keys: `root` for `local`; for `s3` the ones etcdbrctl's credential files
 * use (accessKeyID, secretAccessKey, region, endpoint, s3ForcePathStyle).
 */
export function backupSecretData(backup: SeedBackupConfig): Record<string, string> {
  if (backup.provider === 'local') return { root: backup.root };
  const { credentials } = backup;
  return {
    accessKeyID: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    region: credentials.region,
    ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    ...(credentials.endpoint ? { endpoint: credentials.endpoint } : {}),
    ...(credentials.forcePathStyle !== undefined || credentials.endpoint
      ? { s3ForcePathStyle: String(credentials.forcePathStyle ?? true) }
      : {}),
  };
}
