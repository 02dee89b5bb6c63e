/**
 * Checks shared by Secret and ConfigMap: key names, base64 values, the 1 MiB size limit and the
 * `immutable` flag.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { isConfigMapKey, semanticEqual, tooLong } from '../validation.js';

/** Maximum total size of a Secret's or ConfigMap's data (k8s MaxSecretSize). */
export const MAX_DATA_SIZE_BYTES = 1024 * 1024;

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Whether `value` is standard, padded base64 (as Go's base64.StdEncoding decodes it). */
export function isBase64(value: string): boolean {
  return base64.test(value);
}

export interface DataMapCheck {
  errors: FieldError[];
  /** Decoded size in bytes of the valid values. */
  size: number;
}

/** Validates a `data`-like map: config keys, string values, base64 when `encoded`. */
export function validateDataMap(map: unknown, path: string, encoded: boolean): DataMapCheck {
  if (map === undefined || map === null) return { errors: [], size: 0 };
  if (!isRecord(map))
    return { errors: [FieldError.typeInvalid(path, map, 'must be a map of keys to strings')], size: 0 };
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(map)) {
    for (const msg of isConfigMapKey(key)) errors.push(FieldError.invalid(path, key, msg));
    if (typeof value !== 'string') {
      errors.push(FieldError.typeInvalid(`${path}[${key}]`, value, 'must be a string'));
    } else if (encoded && !isBase64(value)) {
      errors.push(FieldError.invalid(`${path}[${key}]`, '<value omitted>', 'must be base64 encoded'));
    } else {
      size += encoded ? Buffer.from(value, 'base64').length : Buffer.byteLength(value);
    }
  }
  return { errors, size };
}

/** The size limit error when `size` exceeds 1 MiB. */
export function sizeErrors(size: number, path: string): FieldError[] {
  return size > MAX_DATA_SIZE_BYTES ? [tooLong(path, MAX_DATA_SIZE_BYTES, 'bytes')] : [];
}

/** With `immutable: true` stored, the listed fields and the flag itself may not change. */
export function immutableDataErrors(obj: KubeObject, old: KubeObject, fields: readonly string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true)
    errs.push(FieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const field of fields) {
    if (!semanticEqual(obj[field], old[field])) {
      errs.push(FieldError.forbidden(field, 'field is immutable when `immutable` is set'));
    }
  }
  return errs;
}

/** `immutable`, when present, must be a boolean. */
export function immutableFlagErrors(obj: KubeObject): FieldError[] {
  const flag = obj.immutable;
  if (flag === undefined || flag === null || typeof flag === 'boolean') return [];
  return [FieldError.typeInvalid('immutable', flag, 'must be a boolean')];
}
