/**
 * A backup store as the druid and the gardenlet describe it — etcd-druid's `StoreSpec` plus the
 * Secret its `secretRef` names — turned into a snapstore configuration. The Secret's keys are the
 * ones etcdbrctl's credential files use:
 *
 * - `local`: `root` (or Gardener's `hostPath`), the directory holding the containers; the store is
 *   `<root>/<container>/<prefix>/v2/…`.
 * - `s3`: `accessKeyID`, `secretAccessKey`, `region`, optional `endpoint`, `s3ForcePathStyle`,
 *   `bucketName`. `spec.endpointOverride` wins over `endpoint`.
 *
 * Messages name the secret, never its values.
 */
import type { StoreSpec } from '../api/druid/common.js';
import { s3CredentialsFromFields } from './snapstore/credentials.js';
import { SnapstoreError } from './snapstore/errors.js';
import type { SnapstoreConfig } from './snapstore/open-snapstore.js';

/** The data of a Secret, base64-decoded. */
export type SecretData = Readonly<Record<string, string>>;

/** Decodes a Secret's `data` (base64) and `stringData`. */
export function decodeSecretData(secret: { data?: unknown; stringData?: unknown } | undefined): SecretData {
  const out: Record<string, string> = {};
  const data = secret?.data;
  if (typeof data === 'object' && data !== null) {
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString();
  }
  const stringData = secret?.stringData;
  if (typeof stringData === 'object' && stringData !== null) {
    for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * The snapstore `store` denotes, with credentials from `secret` (decoded data; `secretName` for
 * messages, e.g. `shoot--dev--a/etcd-backup`).
 */
export function snapstoreConfigFor(
  store: StoreSpec,
  secret: SecretData | undefined,
  secretName: string,
): SnapstoreConfig {
  if (store.provider === 'local') {
    const root = secret?.root ?? secret?.hostPath;
    if (!root) {
      throw new SnapstoreError('Config', secretName, 'the local backup store secret has no "root" (or "hostPath") key');
    }
    return { provider: 'local', root, container: store.container, prefix: store.prefix };
  }
  if (!secret) throw new SnapstoreError('Config', secretName, 'the S3 backup store needs a secret with credentials');
  const credentials = s3CredentialsFromFields(`secret ${secretName}`, secret);
  const endpointOverride = store.endpointOverride ?? credentials.endpoint;
  return {
    provider: 's3',
    container: store.container,
    prefix: store.prefix,
    credentials,
    ...(endpointOverride ? { endpointOverride } : {}),
  };
}
