/**
 * What the druid.gardener.cloud/v1alpha1 kinds share: the group and version, the backup store
 * (`StoreSpec`: provider, container, prefix, secretRef) with its validation, and reading
 * conditions off `status.conditions`.
 */
import { conditionOf } from '../core-gardener/conditions.js';
import { FieldError } from '../errors.js';
import type { SecretReference } from '../extensions/common.js';
import { requiredEnum, requiredString, validateSecretReference } from '../extensions/field-validation.js';
import { isRecord, type KubeObject } from '../meta.js';
import { optionalString } from '../validation.js';

export const DRUID_GROUP = 'druid.gardener.cloud';
export const DRUID_VERSION = 'v1alpha1';
export const DRUID_API_VERSION = `${DRUID_GROUP}/${DRUID_VERSION}`;

/**
 * Backup store providers Transplant implements: a local directory and S3 (any S3-compatible
 * endpoint). This is the list for now; later backends (ABS, GCS, Swift, …) may add to it.
 */
export const STORE_PROVIDERS = ['local', 's3'] as const;
export type StoreProvider = (typeof STORE_PROVIDERS)[number];

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

/** The store at `value` when it is well-formed enough to use, else undefined. */
export function storeSpecOf(value: unknown): StoreSpec | undefined {
  if (!isRecord(value)) return undefined;
  const { provider, container, prefix } = value;
  if (typeof provider !== 'string' || !(STORE_PROVIDERS as readonly string[]).includes(provider)) return undefined;
  if (typeof container !== 'string' || typeof prefix !== 'string') return undefined;
  return value as unknown as StoreSpec;
}

/** `status.conditions[type].status` (True, False, Unknown), undefined when the condition is absent. */
export function druidConditionStatus(obj: KubeObject, type: string): string | undefined {
  return conditionOf(obj, type)?.status;
}
