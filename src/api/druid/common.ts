/**
 * What the druid.gardener.cloud/v1alpha1 kinds share: the group and version, and the backup store
 * (`StoreSpec`: provider, container, prefix, secretRef) with its validation and its check.
 */
import { FieldError } from '../errors.js';
import { aSecretReference, type SecretReference } from '../extensions/common.js';
import { requiredEnum, requiredString, validateSecretReference } from '../extensions/field-validation.js';
import { aString, type Check, oneOf, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { type KindNames, typedKind } from '../resource-ref.js';
import { optionalString } from '../validation.js';

export const DRUID_GROUP = 'druid.gardener.cloud';
export const DRUID_VERSION = 'v1alpha1';
export const DRUID_API_VERSION = `${DRUID_GROUP}/${DRUID_VERSION}`;

/** A druid.gardener.cloud/v1alpha1 kind's guard and reference (src/api/resource-ref.ts `typedKind`). */
export function druidKind<T extends KubeObject>(
  names: Omit<KindNames, 'group' | 'version'>,
  fields: { spec?: Check; status?: Check },
) {
  return typedKind<T>({ group: DRUID_GROUP, version: DRUID_VERSION, ...names }, fields);
}

/**
 * Backup store providers Transplant implements: a local directory and S3 (any S3-compatible
 * endpoint). This is the list for now; later backends (ABS, GCS, Swift, …) may add to it.
 */
export const STORE_PROVIDERS = ['local', 's3'] as const;
export type StoreProvider = (typeof STORE_PROVIDERS)[number];

/** Whether `value` (a seed's or a bucket's backup provider type) is a store provider the druid implements. */
export function isStoreProvider(value: string): value is StoreProvider {
  return (STORE_PROVIDERS as readonly string[]).includes(value);
}

/** etcd-druid's `StoreSpec`: where backups live. */
export interface StoreSpec {
  provider: StoreProvider;
  /** The bucket (or, for `local`, the directory under the provider's root). */
  container: string;
  /** The path inside the container, e.g. `<backupEntryName>/etcd-main`. */
  prefix: string;
  /** Credentials; optional for `local`. */
  secretRef?: SecretReference;
  endpointOverride?: string;
}

/** etcd-druid's container pattern: 3–63 characters, alphanumeric at both ends. */
const CONTAINER = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,61}[a-zA-Z0-9]$/;

/**
 * Validates a `StoreSpec` at `path`: `provider` one of STORE_PROVIDERS, `container` (druid's
 * pattern) and `prefix` required, `secretRef` required for `s3` (druid's copy controller refuses
 * S3 without one) and well-formed when given, `endpointOverride` a URL.
 */
export function validateStoreSpec(store: unknown, path: string): FieldError[] {
  if (store === undefined || store === null) return [FieldError.required(path)];
  if (!isRecord(store)) return [FieldError.typeInvalid(path, store, 'must be an object')];
  const errs = [
    ...requiredEnum(store.provider, `${path}.provider`, STORE_PROVIDERS),
    ...requiredString(store.container, `${path}.container`),
    ...requiredString(store.prefix, `${path}.prefix`),
    ...validateSecretReference(store.secretRef, `${path}.secretRef`, store.provider === 's3'),
    ...optionalString(store.endpointOverride, `${path}.endpointOverride`),
  ];
  if (typeof store.container === 'string' && store.container !== '' && !CONTAINER.test(store.container)) {
    errs.push(
      FieldError.invalid(
        `${path}.container`,
        store.container,
        `must be 3 to 63 characters matching '${CONTAINER.source}'`,
      ),
    );
  }
  if (typeof store.endpointOverride === 'string' && !URL.canParse(store.endpointOverride)) {
    errs.push(
      FieldError.invalid(`${path}.endpointOverride`, store.endpointOverride, 'endpoint override must be a valid URL.'),
    );
  }
  return errs;
}

/** A store as the druid relies on it: a provider it implements, a container and a prefix. */
export const aStoreSpec: Check = shape<StoreSpec>({
  provider: oneOf(STORE_PROVIDERS),
  container: aString,
  prefix: aString,
  secretRef: optional(aSecretReference),
  endpointOverride: optional(aString),
});
