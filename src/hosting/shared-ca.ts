/**
 * The CA of an API server whose replicas share one store (the garden on etcd): kept in the store
 * as the Secret `kube-system/<name>-ca` (type `kubernetes.io/tls`), so every replica trusts and
 * signs with the same CA and a kubeconfig handed out by one replica is valid on all of them.
 *
 * Whichever replica starts first generates it; the store's create-if-absent decides a race, and
 * the loser adopts the winner's CA. It is read and written on the storage below the API server
 * because the server needs it for its TLS listener before it can serve. Each replica then issues
 * its own serving certificate from it for its own names (`issueServingCertificate`).
 */
import { randomUUID } from 'node:crypto';
import { type KubeObject, nowTimestamp } from '../api/meta.js';
import { type CertificateAuthority, generateCertificateAuthority } from '../apiserver/pki/certificates.js';
import { isStorageError, type Storage } from '../storage/interface.js';

const caValidityDays = 3650;

/** The Secret's name for the server named `serverName` (e.g. `garden-ca`). */
export function sharedCaSecretName(serverName: string): string {
  return `${serverName}-ca`;
}

/**
 * The storage key of a Secret in kube-system: the generic store's layout
 * (`/registry/secrets/<namespace>/<name>`), since this runs before the server exists.
 */
function secretKey(name: string): string {
  return `/registry/secrets/kube-system/${name}`;
}

/** The CA kept in `storage` for `serverName`, generated and stored by this call when there is none. */
export async function ensureSharedCa(
  storage: Storage,
  serverName: string,
  caCommonName: string,
): Promise<{ ca: CertificateAuthority; generated: boolean }> {
  const key = secretKey(sharedCaSecretName(serverName));
  const existing = await storage.get(key).catch((err: unknown) => {
    if (isStorageError(err, 'NotFound')) return undefined;
    throw err;
  });
  if (existing) return { ca: caFromSecret(existing, key), generated: false };
  const ca = await generateCertificateAuthority(caCommonName, caValidityDays);
  try {
    await storage.create(key, caSecret(sharedCaSecretName(serverName), ca));
    return { ca, generated: true };
  } catch (err) {
    // Another replica stored its CA first: that one is the CA of all.
    if (!isStorageError(err, 'KeyExists')) throw err;
    return { ca: caFromSecret(await storage.get(key), key), generated: false };
  }
}

function caSecret(name: string, ca: CertificateAuthority): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'kube-system', uid: randomUUID(), creationTimestamp: nowTimestamp() },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(ca.certPem).toString('base64'),
      'tls.key': Buffer.from(ca.keyPem).toString('base64'),
    },
  };
}

function caFromSecret(secret: KubeObject, key: string): CertificateAuthority {
  const data = (secret.data ?? {}) as Record<string, string | undefined>;
  const certPem = Buffer.from(data['tls.crt'] ?? '', 'base64').toString('utf8');
  const keyPem = Buffer.from(data['tls.key'] ?? '', 'base64').toString('utf8');
  if (!certPem.includes('BEGIN CERTIFICATE') || !keyPem.includes('PRIVATE KEY')) {
    throw new Error(`the shared CA at ${key} has no tls.crt/tls.key; refusing to replace it`);
  }
  return { certPem, keyPem };
}
