/**
 * kube-apiserver's `--encryption-provider-config` file (`apiserver.config.k8s.io/v1`
 * `EncryptionConfiguration`) read into what `EncryptingStorage` needs: the keys and the storage
 * key prefixes of the resources written encrypted.
 *
 *   apiVersion: apiserver.config.k8s.io/v1
 *   kind: EncryptionConfiguration
 *   resources:
 *     - resources: [secrets, shootstates.core.gardener.cloud]
 *       providers:
 *         - aesgcm: { keys: [{ name: key2, secret: <base64 of 32 bytes> }, { name: key1, secret: … }] }
 *         - identity: {}
 *
 * As in Kubernetes, the first provider of a resource writes and all of them read: `aesgcm` first
 * encrypts with its first key and decrypts with any of its keys; `identity` first writes plain
 * text and still reads the envelopes of the `aesgcm` listed after it (how encryption is turned
 * off); `identity` after `aesgcm` reads what was written before encryption was turned on.
 *
 * Differences, refused with a clear error rather than half-supported: only the `aesgcm` and
 * `identity` providers (no `aescbc`, `secretbox`, `kms`); AES-256 keys only (32 bytes); no
 * wildcards (`*.*`); and every resource entry that lists `aesgcm` lists the same keys (one key
 * ring for the store, as `EncryptingStorage` has one).
 */
import { parse as parseYaml } from 'yaml';
import { isRecord } from '../../api/meta.js';
import { type EncryptionKey, namedEncryptionKey } from './aes-gcm-envelope.js';
import { EncryptionConfigError } from './encryption-config-error.js';

export const ENCRYPTION_CONFIG_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_CONFIG_KIND = 'EncryptionConfiguration';

/** A resource as the file names it: `secrets` (core group) or `shootstates.core.gardener.cloud`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** What a valid file says, in the terms of `EncryptingStorage`. */
export interface EncryptionConfig {
  /** The `aesgcm` keys, the first writing; empty when no resource lists `aesgcm`. */
  keys: readonly EncryptionKey[];
  /** The resources whose first provider is `aesgcm`: written encrypted. */
  encrypted: readonly GroupResource[];
  /** Every resource the file names (encrypted or not): a server checks that it serves them. */
  resources: readonly GroupResource[];
}

const SUPPORTED = ['aesgcm', 'identity'];
const UNSUPPORTED = ['aescbc', 'secretbox', 'kms'];

/** `group/resource` as the file writes it. */
export function groupResourceName(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** The storage key prefix of a resource: the generic store's layout (`/registry/[<group>/]<plural>/`). */
export function keyPrefixOf(gr: GroupResource): string {
  return gr.group ? `/registry/${gr.group}/${gr.resource}/` : `/registry/${gr.resource}/`;
}

/** Reads the file's text; `source` (its path) starts every error message. */
export function parseEncryptionConfig(text: string, source: string): EncryptionConfig {
  const fail: Fail = (path, message) => {
    throw new EncryptionConfigError(`encryption provider config ${source}: ${path ? `${path}: ` : ''}${message}`);
  };
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return fail('', `not YAML: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) return fail('', `must be a ${ENCRYPTION_CONFIG_KIND} object`);
  if (doc.apiVersion !== ENCRYPTION_CONFIG_API_VERSION) {
    fail('apiVersion', `must be ${ENCRYPTION_CONFIG_API_VERSION}, not ${JSON.stringify(doc.apiVersion)}`);
  }
  if (doc.kind !== ENCRYPTION_CONFIG_KIND)
    fail('kind', `must be ${ENCRYPTION_CONFIG_KIND}, not ${JSON.stringify(doc.kind)}`);
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) fail('resources', 'must list at least one entry');

  const seen = new Set<string>();
  const resources: GroupResource[] = [];
  const encrypted: GroupResource[] = [];
  let keyRing: { keys: EncryptionKey[]; at: string } | undefined;
  for (const [i, entry] of (doc.resources as unknown[]).entries()) {
    const at = `resources[${i}]`;
    if (!isRecord(entry)) fail(at, 'must be an object with resources and providers');
    const { resources: listed, providers } = entry as Record<string, unknown>;
    if (!Array.isArray(listed) || listed.length === 0) fail(`${at}.resources`, 'must name at least one resource');
    const names = (listed as unknown[]).map((name, j) => groupResource(name, `${at}.resources[${j}]`, seen, fail));
    if (!Array.isArray(providers) || providers.length === 0) {
      fail(`${at}.providers`, 'must list at least one provider (aesgcm, identity)');
    }
    let keys: EncryptionKey[] | undefined;
    let first: string | undefined;
    for (const [j, provider] of (providers as unknown[]).entries()) {
      const path = `${at}.providers[${j}]`;
      const kind = providerKind(provider, path, fail);
      first ??= kind;
      if (kind !== 'aesgcm') continue;
      if (keys) fail(path, 'aesgcm is listed twice: list all its keys in one provider');
      keys = aesgcmKeys((provider as Record<string, unknown>).aesgcm, `${path}.aesgcm`, fail);
    }
    resources.push(...names);
    if (keys) {
      if (keyRing && !sameKeys(keyRing.keys, keys)) {
        fail(`${at}.providers`, `must list the same aesgcm keys as ${keyRing.at} (one key ring for the store)`);
      }
      keyRing ??= { keys, at };
    }
    if (first === 'aesgcm') encrypted.push(...names);
  }
  return { keys: keyRing?.keys ?? [], encrypted, resources };
}

type Fail = (path: string, message: string) => never;

/** `secrets` → core group; `shootstates.core.gardener.cloud` → its group. */
function groupResource(name: unknown, path: string, seen: Set<string>, fail: Fail): GroupResource {
  if (typeof name !== 'string' || name === '') return fail(path, 'must be a resource name such as "secrets"');
  if (name.includes('*')) return fail(path, `wildcards (${name}) are not supported: name each resource`);
  if (name !== name.toLowerCase() || name.includes('/')) {
    return fail(
      path,
      `${JSON.stringify(name)} must be a lowercase plural resource, e.g. "secrets" or "shootstates.core.gardener.cloud"`,
    );
  }
  if (seen.has(name)) return fail(path, `${name} is listed twice`);
  seen.add(name);
  const dot = name.indexOf('.');
  return dot < 0 ? { group: '', resource: name } : { group: name.slice(dot + 1), resource: name.slice(0, dot) };
}

/** The one provider a `providers[]` item names, if supported. */
function providerKind(provider: unknown, path: string, fail: Fail): string {
  if (!isRecord(provider)) return fail(path, 'must be an object naming one provider');
  const kinds = Object.keys(provider);
  if (kinds.length !== 1)
    return fail(path, `must name exactly one provider, not ${kinds.length} (${kinds.join(', ')})`);
  const kind = kinds[0]!;
  if (UNSUPPORTED.includes(kind)) return fail(path, `provider ${kind} is not supported: use aesgcm (or identity)`);
  if (!SUPPORTED.includes(kind)) return fail(path, `unknown provider ${kind}: use aesgcm or identity`);
  return kind;
}

function aesgcmKeys(value: unknown, at: string, fail: Fail): EncryptionKey[] {
  if (!isRecord(value) || !Array.isArray(value.keys) || value.keys.length === 0) {
    return fail(`${at}.keys`, 'must list at least one key ({ name, secret })');
  }
  const names = new Set<string>();
  return (value.keys as unknown[]).map((key, k) => {
    const path = `${at}.keys[${k}]`;
    if (!isRecord(key)) return fail(path, 'must be { name, secret }');
    if (typeof key.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(key.name)) {
      return fail(`${path}.name`, 'must be 1-63 letters, digits, "_", "." or "-" (it is written into every envelope)');
    }
    if (names.has(key.name)) return fail(`${path}.name`, `key ${key.name} is listed twice`);
    names.add(key.name);
    if (typeof key.secret !== 'string') return fail(`${path}.secret`, 'must be the base64 of a 32-byte key');
    try {
      namedEncryptionKey(key.secret);
    } catch {
      return fail(
        `${path}.secret`,
        `key ${key.name} must be the base64 of 32 bytes (AES-256; 16- and 24-byte keys are not supported), e.g. from "head -c 32 /dev/urandom | base64"`,
      );
    }
    return { name: key.name, secretBase64: key.secret };
  });
}

function sameKeys(a: readonly EncryptionKey[], b: readonly EncryptionKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k.name === b[i]!.name && k.secretBase64 === b[i]!.secretBase64);
}

/** A new file encrypting `resources` with one fresh random key (`key-<hash of the key>`), identity after it. */
export function newEncryptionConfig(resources: readonly string[], secretBase64: string): string {
  const key = namedEncryptionKey(secretBase64);
  return [
    `apiVersion: ${ENCRYPTION_CONFIG_API_VERSION}`,
    `kind: ${ENCRYPTION_CONFIG_KIND}`,
    'resources:',
    '  - resources:',
    ...resources.map((r) => `      - ${r}`),
    '    providers:',
    '      - aesgcm:',
    '          keys:',
    `            - name: ${key.name}`,
    `              secret: ${key.secretBase64}`,
    '      - identity: {}',
    '',
  ].join('\n');
}
