/**
 * ConfigMap (v1, namespaced): `data` holds strings, `binaryData` base64; a key may appear in only
 * one of them; 1 MiB in total; `immutable: true` freezes both.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { immutableDataErrors, immutableFlagErrors, sizeErrors, validateDataMap } from './data-maps.js';

export const configMapResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
});

/** Both data maps, their total size, the immutable flag, and no key in both maps. */
export function validateConfigMap(obj: KubeObject): FieldError[] {
  const data = validateDataMap(obj.data, 'data', false);
  const binary = validateDataMap(obj.binaryData, 'binaryData', true);
  const errs = [
    ...data.errors,
    ...binary.errors,
    ...sizeErrors(data.size + binary.size, 'data'),
    ...immutableFlagErrors(obj),
  ];
  if (isRecord(obj.data) && isRecord(obj.binaryData)) {
    for (const key of Object.keys(obj.binaryData)) {
      if (key in obj.data) errs.push(FieldError.invalid('binaryData', key, 'duplicate of key present in data'));
    }
  }
  return errs;
}

/** `validateConfigMap`, and neither data map changes once the stored ConfigMap is immutable. */
export function validateConfigMapUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateConfigMap(obj), ...immutableDataErrors(obj, old, ['data', 'binaryData'])];
}
