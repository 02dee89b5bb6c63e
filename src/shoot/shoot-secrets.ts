/**
 * The secrets of a shoot's control plane that cannot be rebuilt: what the gardenlet's
 * "Initializing secrets management" step creates once in the control-plane namespace, labels
 * `persist=true` (Gardener's secrets manager `Persist()` option) and copies into the garden's
 * ShootState, so that a control plane moving to another seed keeps its CAs and keys
 * (docs/migration.md §ShootState: the Migrate persists them, the Restore's "Initializing secrets
 * management" reads them back). Everything issued from them (serving and client certificates) is
 * derived and re-issued freely (shoot-certificates.ts).
 *
 * Secrets, all type Opaque, immutable, labelled `persist: "true"`, `managed-by: secrets-manager`,
 * `manager-identity: gardenlet`:
 *
 * | name                          | data keys              | content                                   |
 * |-------------------------------|------------------------|-------------------------------------------|
 * | `ca`                          | `ca.crt`, `ca.key`     | cluster CA (CN `kubernetes`), signs the kube-apiserver's serving certificate |
 * | `ca-client`                   | `ca.crt`, `ca.key`     | client CA (CN `kubernetes-client`), signs client certificates (admin kubeconfigs) |
 * | `ca-etcd`                     | `ca.crt`, `ca.key`     | etcd CA (CN `etcd`), signs etcd's server and client certificates |
 * | `service-account-key`         | `id_rsa`, `id_rsa.pub` | RSA 2048 key signing service-account tokens: PKCS#1 PEM private key under Gardener's key name `id_rsa`, and its SPKI PEM public key (not OpenSSH format) in `id_rsa.pub`; a secret with `id_rsa` only, as Gardener writes it, is read too |
 * | `kube-apiserver-static-token` | `token`                | the kube-apiserver's static bearer token (64 hex characters) |
 * | `etcd-encryption-key`         | `key`                  | base64 of 32 random bytes: the AES key encrypting secrets at rest |
 *
 * In the ShootState each becomes a `spec.gardener[]` entry in Gardener's format: `{name, type:
 * "secret", data: {data: <the secret's data map>, immutable, type}, labels}`.
 *
 * This lives with the shoot, not with the gardenlet, because two sides read the format: the
 * seed's gardenlet creates, persists and restores the secrets, and the garden issues admin
 * kubeconfigs from the client CA it finds in the ShootState (src/garden/admin-kubeconfig-handler.ts).
 * The garden and the seeds never import each other; both may import what belongs to a shoot.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { promisify } from 'node:util';
import { SECRET_TYPE_OPAQUE, secretType } from '../api/core/secret.js';
import type { GardenerResourceData, ShootState } from '../api/core-gardener/shoot-state.js';
import { isRecord, type KubeObject } from '../api/meta.js';
import { type CertificateAuthority, generateCertificateAuthority } from '../apiserver/pki/certificates.js';
import { MalformedSecretError } from './malformed-secret-error.js';

/** The persisted secrets of one shoot, decoded. */
export interface ShootSecrets {
  /** Cluster CA: the kube-apiserver's serving certificate chains to it; kubeconfigs trust it. */
  ca: CertificateAuthority;
  /** Client CA: the kube-apiserver accepts client certificates it signed. */
  caClient: CertificateAuthority;
  /** etcd CA: etcd's server and client certificates. */
  caEtcd: CertificateAuthority;
  /** Signs (private) and verifies (public) service-account tokens; PEM. */
  serviceAccountKey: { privateKeyPem: string; publicKeyPem: string };
  /** The kube-apiserver's static bearer token. */
  staticToken: string;
  /** Base64 of 32 random bytes: the key encrypting secrets at rest in etcd. */
  etcdEncryptionKey: string;
  /**
   * During a credentials rotation (Prepared): the successors of the rotated CAs and key, trusted
   * beside the current ones and signing what is issued anew (src/shoot/credentials-rotation.ts).
   */
  next?: RotatedSecrets;
}

/** The secrets a rotation replaces, each present only while it is being rotated. */
export interface RotatedSecrets {
  ca?: CertificateAuthority;
  caClient?: CertificateAuthority;
  serviceAccountKey?: ShootSecrets['serviceAccountKey'];
}

/** A persisted secret's successor while it is being rotated: `ca` → `ca-new`. */
export function successorSecretName(name: string): string {
  return `${name}-new`;
}

/** Names of the persisted secrets in the control-plane namespace and in the ShootState. */
export const ShootSecretName = Object.freeze({
  ca: 'ca',
  caClient: 'ca-client',
  caEtcd: 'ca-etcd',
  serviceAccountKey: 'service-account-key',
  staticToken: 'kube-apiserver-static-token',
  etcdEncryptionKey: 'etcd-encryption-key',
} as const);

/** Labels of every persisted secret (Gardener's secrets manager labels). */
export const persistedSecretLabels: Readonly<Record<string, string>> = Object.freeze({
  persist: 'true',
  'managed-by': 'secrets-manager',
  'manager-identity': 'gardenlet',
});

/** `spec.gardener[].type` of a persisted secret in the ShootState. */
export const GARDENER_DATA_TYPE_SECRET = 'secret';

/** Data keys of the CA secrets, as Gardener names them. */
export const CA_CERT_KEY = 'ca.crt';
export const CA_KEY_KEY = 'ca.key';
const SA_PRIVATE_KEY = 'id_rsa';
const SA_PUBLIC_KEY = 'id_rsa.pub';
const STATIC_TOKEN_KEY = 'token';
const ENCRYPTION_KEY_KEY = 'key';

/** CA lifetime: ten years, as Gardener's CAs. */
const caValidityDays = 3650;
/** RSA 2048, kubeadm's size for the service-account key; generating 4096-bit keys costs seconds. */
const serviceAccountKeyBits = 2048;

const generateKeyPairAsync = promisify(generateKeyPair);

// ---------------------------------------------------------------------------------------------
// Generating

/** Generates a shoot's persisted secrets; done once, when its control plane is first created. */
export async function generateShootSecrets(technicalId: string): Promise<ShootSecrets> {
  if (!technicalId) throw new TypeError('generateShootSecrets needs the technical id of the shoot');
  const [ca, caClient, caEtcd, serviceAccountKey] = await Promise.all([
    generateCertificateAuthority('kubernetes', caValidityDays),
    generateCertificateAuthority('kubernetes-client', caValidityDays),
    generateCertificateAuthority('etcd', caValidityDays),
    generateServiceAccountKey(),
  ]);
  return {
    ca,
    caClient,
    caEtcd,
    serviceAccountKey,
    staticToken: randomBytes(32).toString('hex'),
    etcdEncryptionKey: randomBytes(32).toString('base64'),
  };
}

async function generateServiceAccountKey(): Promise<ShootSecrets['serviceAccountKey']> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: serviceAccountKeyBits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

// ---------------------------------------------------------------------------------------------
// Secrets in the control-plane namespace

/** True for a secret labelled `persist=true`. */
export function isPersistedSecret(obj: KubeObject): boolean {
  return obj.metadata.labels?.persist === 'true';
}

/** The six persisted secrets as v1 Secrets in `namespace` (data base64, type Opaque, immutable). */
export function toSecretObjects(namespace: string, secrets: ShootSecrets): KubeObject[] {
  const caData = (ca: CertificateAuthority) => ({ [CA_CERT_KEY]: ca.certPem, [CA_KEY_KEY]: ca.keyPem });
  const entries: [string, Record<string, string>][] = [
    [ShootSecretName.ca, caData(secrets.ca)],
    [ShootSecretName.caClient, caData(secrets.caClient)],
    [ShootSecretName.caEtcd, caData(secrets.caEtcd)],
    [
      ShootSecretName.serviceAccountKey,
      {
        [SA_PRIVATE_KEY]: secrets.serviceAccountKey.privateKeyPem,
        [SA_PUBLIC_KEY]: secrets.serviceAccountKey.publicKeyPem,
      },
    ],
    [ShootSecretName.staticToken, { [STATIC_TOKEN_KEY]: secrets.staticToken }],
    [ShootSecretName.etcdEncryptionKey, { [ENCRYPTION_KEY_KEY]: secrets.etcdEncryptionKey }],
  ];
  return entries.map(([name, data]) => persistedSecretObject(namespace, name, data));
}

/** A persisted secret (`persist=true`, Opaque, immutable) with `data` (plain text, encoded here). */
export function persistedSecretObject(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { ...persistedSecretLabels } },
    type: SECRET_TYPE_OPAQUE,
    immutable: true,
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  };
}

/**
 * A new value for a persisted secret a rotation replaces (`ca`, `ca-client`,
 * `service-account-key`), as its data map: a CA with the same common name, or a new key.
 */
export async function generateRotatedSecretData(name: string): Promise<Record<string, string>> {
  const caCommonNames: Record<string, string> = {
    [ShootSecretName.ca]: 'kubernetes',
    [ShootSecretName.caClient]: 'kubernetes-client',
  };
  const commonName = caCommonNames[name];
  if (commonName !== undefined) {
    const ca = await generateCertificateAuthority(commonName, caValidityDays);
    return { [CA_CERT_KEY]: ca.certPem, [CA_KEY_KEY]: ca.keyPem };
  }
  if (name === ShootSecretName.serviceAccountKey) {
    const key = await generateServiceAccountKey();
    return { [SA_PRIVATE_KEY]: key.privateKeyPem, [SA_PUBLIC_KEY]: key.publicKeyPem };
  }
  throw new TypeError(`the persisted secret ${name} is not rotated`);
}

/**
 * The persisted secrets decoded from Secrets (other objects in the list are ignored). Undefined
 * when any of the six is missing; a `MalformedSecretError` when one is present but unusable.
 */
export function fromSecretObjects(objs: readonly KubeObject[]): ShootSecrets | undefined {
  const byName = new Map(objs.map((obj) => [obj.metadata.name, obj]));
  const pick = (name: string) => byName.get(name);
  const [ca, caClient, caEtcd, sa, token, encryption] = [
    pick(ShootSecretName.ca),
    pick(ShootSecretName.caClient),
    pick(ShootSecretName.caEtcd),
    pick(ShootSecretName.serviceAccountKey),
    pick(ShootSecretName.staticToken),
    pick(ShootSecretName.etcdEncryptionKey),
  ];
  if (!ca || !caClient || !caEtcd || !sa || !token || !encryption) return undefined;
  const successor = (name: string) => byName.get(successorSecretName(name));
  const [nextCa, nextCaClient, nextSa] = [
    successor(ShootSecretName.ca),
    successor(ShootSecretName.caClient),
    successor(ShootSecretName.serviceAccountKey),
  ];
  const next: RotatedSecrets = {
    ...(nextCa ? { ca: certificateAuthorityFromSecret(nextCa) } : {}),
    ...(nextCaClient ? { caClient: certificateAuthorityFromSecret(nextCaClient) } : {}),
    ...(nextSa ? { serviceAccountKey: serviceAccountKeyFromSecret(nextSa) } : {}),
  };
  return {
    ...(Object.keys(next).length > 0 ? { next } : {}),
    ca: certificateAuthorityFromSecret(ca),
    caClient: certificateAuthorityFromSecret(caClient),
    caEtcd: certificateAuthorityFromSecret(caEtcd),
    serviceAccountKey: serviceAccountKeyFromSecret(sa),
    staticToken: staticTokenFromSecret(token),
    etcdEncryptionKey: encryptionKeyFromSecret(encryption),
  };
}

/**
 * A CA from a secret with `ca.crt` and `ca.key`: the certificate must be a CA certificate and
 * the key its own. Throws `MalformedSecretError` otherwise.
 */
export function certificateAuthorityFromSecret(secret: KubeObject): CertificateAuthority {
  const name = secretName(secret);
  const certPem = requiredValue(secret, CA_CERT_KEY);
  const keyPem = requiredValue(secret, CA_KEY_KEY);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new MalformedSecretError(name, `data[${CA_CERT_KEY}] is not a PEM certificate`);
  }
  if (!cert.ca) throw new MalformedSecretError(name, `data[${CA_CERT_KEY}] is not a CA certificate`);
  const key = parsePrivateKey(name, CA_KEY_KEY, keyPem);
  if (!cert.checkPrivateKey(key)) {
    throw new MalformedSecretError(
      name,
      `data[${CA_KEY_KEY}] is not the key of the certificate in data[${CA_CERT_KEY}]`,
    );
  }
  return { certPem, keyPem };
}

function serviceAccountKeyFromSecret(secret: KubeObject): ShootSecrets['serviceAccountKey'] {
  const name = secretName(secret);
  const privateKeyPem = requiredValue(secret, SA_PRIVATE_KEY);
  const privateKey = parsePrivateKey(name, SA_PRIVATE_KEY, privateKeyPem);
  const derived = createPublicKey(privateKey);
  const stored = optionalValue(secret, SA_PUBLIC_KEY);
  if (stored === undefined) {
    // Gardener's service-account-key secret holds the private key only.
    return { privateKeyPem, publicKeyPem: derived.export({ type: 'spki', format: 'pem' }).toString() };
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(stored);
  } catch {
    throw new MalformedSecretError(name, `data[${SA_PUBLIC_KEY}] is not a PEM public key`);
  }
  if (!spki(publicKey).equals(spki(derived))) {
    throw new MalformedSecretError(name, `data[${SA_PUBLIC_KEY}] is not the public key of data[${SA_PRIVATE_KEY}]`);
  }
  return { privateKeyPem, publicKeyPem: stored };
}

function staticTokenFromSecret(secret: KubeObject): string {
  const token = requiredValue(secret, STATIC_TOKEN_KEY);
  // A static token file is CSV: no separators, no white space.
  if (!/^[^\s,"]+$/.test(token)) {
    throw new MalformedSecretError(secretName(secret), `data[${STATIC_TOKEN_KEY}] is not a single-word token`);
  }
  return token;
}

function encryptionKeyFromSecret(secret: KubeObject): string {
  const key = requiredValue(secret, ENCRYPTION_KEY_KEY);
  if (!isBase64(key) || Buffer.from(key, 'base64').length !== 32) {
    throw new MalformedSecretError(
      secretName(secret),
      `data[${ENCRYPTION_KEY_KEY}] is not the base64 of a 32-byte key`,
    );
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// ShootState

/**
 * `spec.gardener` entries for the persisted secrets among `secretObjects` (those labelled
 * `persist=true`; others are skipped), in Gardener's format.
 */
export function toShootStateGardenerData(secretObjects: readonly KubeObject[]): GardenerResourceData[] {
  return secretObjects.filter(isPersistedSecret).map((secret) => {
    const name = secretName(secret);
    const immutable = typeof secret.immutable === 'boolean' ? { immutable: secret.immutable } : {};
    const labels = secret.metadata.labels;
    return {
      name,
      type: GARDENER_DATA_TYPE_SECRET,
      data: { data: stringMap(name, secret.data, 'data'), ...immutable, type: secretType(secret) },
      ...(labels ? { labels: { ...labels } } : {}),
    };
  });
}

/**
 * The Secrets (in `namespace`) that the ShootState's secret entries describe; other entries
 * (`machine-state`, …) are ignored. Reads Gardener's `{data, immutable, type}` format and its
 * older plain data map. A `MalformedSecretError` for an entry that is neither.
 */
export function secretObjectsFromShootState(shootState: ShootState, namespace: string): KubeObject[] {
  return (shootState.spec?.gardener ?? [])
    .filter((entry) => entry.type === GARDENER_DATA_TYPE_SECRET)
    .map((entry) => secretFromGardenerData(entry, namespace));
}

function secretFromGardenerData(entry: GardenerResourceData, namespace: string): KubeObject {
  const name = typeof entry.name === 'string' && entry.name !== '' ? entry.name : '<unnamed>';
  const raw = entry.data;
  if (!isRecord(raw)) throw new MalformedSecretError(name, 'its ShootState entry has no data object');
  let data: Record<string, string>;
  let immutable: boolean | undefined;
  let type = SECRET_TYPE_OPAQUE;
  if (isRecord(raw.data)) {
    data = stringMap(name, raw.data, 'data.data');
    if (typeof raw.immutable === 'boolean') immutable = raw.immutable;
    if (typeof raw.type === 'string' && raw.type !== '') type = raw.type;
  } else {
    // Gardener's older format: the data map itself.
    data = stringMap(name, raw, 'data');
  }
  const labels = isRecord(entry.labels)
    ? Object.fromEntries(Object.entries(entry.labels).filter(([, v]) => typeof v === 'string'))
    : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    type,
    ...(immutable !== undefined ? { immutable } : {}),
    data,
  };
}

/** `existing` with `updates` upserted by name (the list's patchMergeKey); order kept, new ones appended. */
export function mergeShootStateGardenerData(
  existing: readonly GardenerResourceData[],
  updates: readonly GardenerResourceData[],
): GardenerResourceData[] {
  const merged = [...existing];
  const index = new Map(merged.map((entry, i) => [entry.name, i]));
  for (const update of updates) {
    const at = index.get(update.name);
    if (at === undefined) {
      index.set(update.name, merged.length);
      merged.push(update);
    } else {
      merged[at] = update;
    }
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function secretName(secret: KubeObject): string {
  const name = secret.metadata.name;
  if (!name) throw new MalformedSecretError('<unnamed>', 'metadata.name is missing');
  return name;
}

/** A map whose values are all strings (a Secret's base64 data), copied. */
function stringMap(secret: string, value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new MalformedSecretError(secret, `${field} is not a map`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new MalformedSecretError(secret, `${field}[${key}] is not a string`);
    out[key] = v;
  }
  return out;
}

function isBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
}

/** The decoded value of `data[key]`; undefined when absent. */
function optionalValue(secret: KubeObject, key: string): string | undefined {
  const data = secret.data;
  if (data === undefined || data === null) return undefined;
  if (!isRecord(data)) throw new MalformedSecretError(secretName(secret), 'data is not a map');
  const value = data[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isBase64(value)) {
    throw new MalformedSecretError(secretName(secret), `data[${key}] is not base64`);
  }
  return Buffer.from(value, 'base64').toString('utf8');
}

function requiredValue(secret: KubeObject, key: string): string {
  const value = optionalValue(secret, key);
  if (value === undefined || value === '') {
    throw new MalformedSecretError(secretName(secret), `data[${key}] is missing or empty`);
  }
  return value;
}

function parsePrivateKey(secret: string, key: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new MalformedSecretError(secret, `data[${key}] is not a PEM private key`);
  }
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}
