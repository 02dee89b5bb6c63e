/**
 * Per-seed credentials: the garden issues each seed's gardenlet a bearer token of its own,
 * user `gardener.cloud:system:seed:<seed>` in group `gardener.cloud:system:seeds`, and records
 * only the token's SHA-256 as a Secret `kube-system/seed-credential-<seed>-<8 hex digits>` (type
 * `transplant.io/token-digest`, label `transplant.io/seed=<seed>`), on either garden store. Every
 * garden replica follows those Secrets (`StoredTokenDigests`), so:
 *
 * - issuing is creating one (the token exists once, in the kubeconfig written for the seed);
 * - rotating is issuing a new one, writing the seed's kubeconfig, then deleting the others (the
 *   gardenlet re-reads its kubeconfig when the garden answers 401, so it carries on);
 * - revoking is deleting it: from then on the token is refused, and the requests still running
 *   with it (open watches) are ended (`RevocableRequests`).
 *
 * Only operators reach kube-system in the garden (`SharedStateGuard`), so only they can issue,
 * rotate, revoke or even list seeds' credentials. Why a token rather than a client certificate:
 * docs/security.md, "Per-seed credentials".
 */
import { join } from 'node:path';
import { secretResource } from '../api/core/secret.js';
import type { KubeObject } from '../api/meta.js';
import { createToken } from '../apiserver/authn/token-file.js';
import { buildKubeconfig, writeKubeconfig } from '../apiserver/kubeconfig.js';
import type { Client } from '../client/client.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import {
  tokenDigestNamespace,
  tokenDigestSecret,
  tokenDigestSelector,
  tokenEntryOf,
} from '../hosting/token-digests.js';
import { gardenletUser, seedsGroup } from './bootstrap-rbac.js';

/** The label naming the seed a credential Secret belongs to. */
export const seedCredentialLabel = 'transplant.io/seed';

/** One recorded credential of a seed: the Secret's name and when it was issued. */
export interface SeedCredential {
  seed: string;
  name: string;
  issued: string;
}

/** Where a seed's kubeconfig points: the garden's URL and CA (the operator's kubeconfig gives both). */
export interface GardenEndpoint {
  server: string;
  caPem: string;
}

/**
 * Records a new credential of `seed` through `client` (an operator's) and returns its token and
 * the Secret's name; the seed's other credentials stay valid.
 */
export async function issueSeedCredential(client: Client, seed: string): Promise<{ token: string; name: string }> {
  const token = createToken();
  const user = gardenletUser(seed);
  const secret = tokenDigestSecret(
    token,
    { name: user, uid: user, groups: [seedsGroup] },
    { namePrefix: `seed-credential-${seed}`, labels: { [seedCredentialLabel]: seed } },
  );
  await client.resource(secretResource).create(tokenDigestNamespace, secret);
  return { token, name: secret.metadata.name ?? '' };
}

/** The recorded credentials of `seed`, or of every seed; oldest first. */
export async function listSeedCredentials(client: Client, seed?: string): Promise<SeedCredential[]> {
  const { items } = await client.resource(secretResource).list(tokenDigestNamespace, tokenDigestSelector);
  return items
    .flatMap((secret) => {
      const owner = seedOf(secret);
      return owner !== undefined && (seed === undefined || owner === seed)
        ? [{ seed: owner, name: secret.metadata.name ?? '', issued: secret.metadata.creationTimestamp ?? '' }]
        : [];
    })
    .sort((a, b) => a.issued.localeCompare(b.issued) || a.name.localeCompare(b.name));
}

/**
 * Deletes the recorded credentials of `seed` but `keep` (a Secret's name), which revokes them;
 * returns the names deleted.
 */
export async function revokeSeedCredentials(client: Client, seed: string, keep?: string): Promise<string[]> {
  const revoked: string[] = [];
  for (const credential of await listSeedCredentials(client, seed)) {
    if (credential.name === keep) continue;
    await client.resource(secretResource).deleteIfPresent(tokenDigestNamespace, credential.name);
    revoked.push(credential.name);
  }
  return revoked;
}

/**
 * Issues one more credential of `seed` and writes its kubeconfig to `out` (atomically, mode
 * 0600); returns the credential Secret's name. The seed's other credentials stay valid.
 */
export async function issueSeedKubeconfig(
  client: Client,
  garden: GardenEndpoint,
  seed: string,
  out: string,
): Promise<string> {
  const { token, name } = await issueSeedCredential(client, seed);
  await writeKubeconfig(out, seedKubeconfig(garden, seed, token));
  return name;
}

/**
 * Rotates `seed`'s credential: issues a new one, writes the seed's kubeconfig with it to `out`
 * (atomically, mode 0600), and only then revokes the seed's other credentials. A failure before
 * the write leaves the old credential working; a re-run finishes the job.
 */
export async function rotateSeedCredential(
  client: Client,
  garden: GardenEndpoint,
  seed: string,
  out: string,
): Promise<{ name: string; revoked: string[] }> {
  const name = await issueSeedKubeconfig(client, garden, seed, out);
  return { name, revoked: await revokeSeedCredentials(client, seed, name) };
}

/** The kubeconfig of `seed`'s gardenlet in the garden. */
export function seedKubeconfig(garden: GardenEndpoint, seed: string, token: string): string {
  return buildKubeconfig({
    clusterName: 'garden',
    server: garden.server,
    caPem: garden.caPem,
    user: { name: gardenletUser(seed), token },
  });
}

/** A client of the garden as the operator whose kubeconfig is at `path`, and where it points. */
export function operatorClient(path: string): { client: RestClient; garden: GardenEndpoint } {
  const credentials = loadKubeconfig(path);
  if (!credentials.caPem) throw new Error(`${path} has no certificate-authority-data for the garden`);
  return {
    client: new RestClient(credentials, { userAgent: 'transplant-seed-credentials' }),
    garden: { server: credentials.server, caPem: credentials.caPem },
  };
}

/**
 * Gives `seed` a fresh credential and writes its kubeconfig to `out`, revoking its others, with
 * the operator's kubeconfig: what `transplant up` does for each seed, wherever the garden runs.
 * The kubeconfig points where the operator's does (a load balancer) and trusts the same CA.
 */
export async function issueSeedKubeconfigThroughApi(
  operatorKubeconfig: string,
  seed: string,
  out: string,
): Promise<void> {
  const { client, garden } = operatorClient(operatorKubeconfig);
  try {
    await rotateSeedCredential(client, garden, seed, out);
  } finally {
    client.close();
  }
}

/** The same for a garden whose state directory is at hand (its operator kubeconfig is in it). */
export async function issueSeedKubeconfigInDir(gardenDir: string, seed: string, out: string): Promise<void> {
  await issueSeedKubeconfigThroughApi(join(gardenDir, 'garden.kubeconfig'), seed, out);
}

function seedOf(secret: KubeObject): string | undefined {
  const seed = secret.metadata.labels?.[seedCredentialLabel];
  // The label alone proves nothing: the recorded user must be the seed's gardenlet.
  return seed && tokenEntryOf(secret)?.user.name === gardenletUser(seed) ? seed : undefined;
}
