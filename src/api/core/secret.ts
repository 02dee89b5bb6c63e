/**
 * Secret (v1, namespaced). `type` defaults to Opaque and is immutable; `data` values are base64;
 * `stringData` is a write-only convenience merged into `data` (its keys win) and then dropped,
 * as the Kubernetes API server does.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { immutableDataErrors, immutableFlagErrors, sizeErrors, validateDataMap } from './data-maps.js';

export const secretResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
});

export const SECRET_TYPE_OPAQUE = 'Opaque';
export const SECRET_TYPE_TLS = 'kubernetes.io/tls';
export const SECRET_TYPE_DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';

/** Keys a typed Secret must carry. */
const REQUIRED_KEYS: Record<string, readonly string[]> = {
  [SECRET_TYPE_TLS]: ['tls.crt', 'tls.key'],
  [SECRET_TYPE_DOCKER_CONFIG_JSON]: ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

/** `type`, Opaque when unset. */
export function secretType(secret: KubeObject): string {
  return typeof secret.type === 'string' && secret.type !== '' ? secret.type : SECRET_TYPE_OPAQUE;
}

/** The decoded value of `data[key]`, undefined when absent or not a string. */
export function secretValue(secret: KubeObject, key: string): string | undefined {
  const data = secret.data;
  if (!isRecord(data) || typeof data[key] !== 'string') return undefined;
  return Buffer.from(data[key] as string, 'base64').toString('utf8');
}

/**
 * Merges a well-formed `stringData` (a map of strings) into `data` as base64 and removes it. A
 * malformed `stringData` is left in place for validation to report.
 */
export function mergeStringData(secret: KubeObject): void {
  const stringData = secret.stringData;
  if (stringData === undefined || stringData === null) {
    delete secret.stringData;
    return;
  }
  if (!isRecord(stringData) || Object.values(stringData).some((v) => typeof v !== 'string')) return;
  const data: Record<string, unknown> = isRecord(secret.data) ? { ...secret.data } : {};
  for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(value as string).toString('base64');
  secret.data = data;
  delete secret.stringData;
}

/** v1 defaulting, on create and update: `type` Opaque when unset, `stringData` merged into `data`. Mutates. */
export function defaultSecret(secret: KubeObject): void {
  if (secret.type === undefined || secret.type === null || secret.type === '') secret.type = SECRET_TYPE_OPAQUE;
  mergeStringData(secret);
}

/** The data map (base64, size), the immutable flag, a leftover `stringData`, and the type's required keys. */
export function validateSecret(obj: KubeObject): FieldError[] {
  const errs = [...immutableFlagErrors(obj)];
  if (obj.stringData !== undefined) {
    errs.push(FieldError.typeInvalid('stringData', obj.stringData, 'must be a map of keys to strings'));
  }
  if (obj.type !== undefined && typeof obj.type !== 'string') {
    errs.push(FieldError.typeInvalid('type', obj.type, 'must be a string'));
  }
  const { errors, size } = validateDataMap(obj.data, 'data', true);
  errs.push(...errors, ...sizeErrors(size, 'data'));
  const data = isRecord(obj.data) ? obj.data : {};
  for (const key of REQUIRED_KEYS[secretType(obj)] ?? []) {
    if (!(key in data)) errs.push(FieldError.required(`data[${key}]`));
  }
  return errs;
}

/** `validateSecret`, the data frozen once the stored Secret is immutable, and the type never changes. */
export function validateSecretUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = [...validateSecret(obj), ...immutableDataErrors(obj, old, ['data'])];
  if (secretType(obj) !== secretType(old)) errs.push(FieldError.immutable('type', obj.type));
  return errs;
}
