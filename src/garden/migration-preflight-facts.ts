/**
 * What the garden's migration preflight controller reads, as the garden's own client reads it:
 * shoots and seeds, how many shoots a seed holds, the extension judgement of the binding
 * admission, and where a seed's backup store is. The store is read from the seed's backup Secret,
 * but only the provider and the endpoint leave this module: the target seed probes the endpoint
 * without the source's credentials.
 */
import { secretResource, secretValue } from '../api/core/secret.js';
import { type Seed, seedBackupSecretRef, seedResource, shootResource } from '../api/core-gardener/index.js';
import type { MigrationPreflightStatus } from '../api/migration-transplant/migration-preflight.js';
import type { UserInfo } from '../apiserver/types.js';
import type { Client } from '../client/client.js';
import type { PreflightFacts } from './controllers/migration-preflight-controller.js';
import { describeMissingExtensions, type ExtensionFacts, missingExtensionsOn } from './seed-extensions.js';

export function gardenPreflightFacts(
  client: Client,
  extensions: ExtensionFacts,
  mayBind: (user: UserInfo, namespace: string, name: string) => Promise<boolean>,
): PreflightFacts {
  return {
    shoot: (namespace, name) => client.resource(shootResource).find(namespace, name),
    seed: (name) => client.resource(seedResource).find('', name),
    shootsOn: async (seed) =>
      (await client.resource(shootResource).list('', { fieldSelector: `spec.seedName=${seed}` })).items.length,
    missingExtensions: async (shoot, seed, source) => {
      const missing = await missingExtensionsOn(extensions, shoot, seed, source);
      return missing.length === 0 ? undefined : describeMissingExtensions(seed.metadata.name ?? '', missing);
    },
    backupStore: (seed) => backupStoreOf(client, seed),
    mayBind,
  };
}

/** The provider and endpoint of a seed's backup store: `file://<root>` (local) or the S3 endpoint. */
async function backupStoreOf(client: Client, seed: Seed): Promise<MigrationPreflightStatus['sourceBackupStore']> {
  const backup = seed.spec.backup;
  const ref = seedBackupSecretRef(seed);
  if (!backup || !ref) return undefined;
  const secret = await client.resource(secretResource).find(ref.namespace, ref.name);
  const value = (key: string) => (secret ? secretValue(secret, key) : undefined);
  const provider = backup.provider;
  if (provider === 'local') {
    const root = value('root') ?? value('hostPath');
    return root ? { provider, endpoint: `file://${root}` } : { provider };
  }
  const endpoint = value('endpoint') || (backup.region ? `https://s3.${backup.region}.amazonaws.com` : undefined);
  return endpoint ? { provider, endpoint } : { provider };
}
