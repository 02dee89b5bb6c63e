/**
 * ConfigMap (v1, namespaced): `data` holds strings, `binaryData` base64; a key may appear in only
 * one of them; 1 MiB in total; `immutable: true` freezes both.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { mapSize } from './common.js';
import { immutableDataErrors, immutableFlagErrors, sizeErrors, validateDataMap } from './data-maps.js';

function validateConfigMapData(obj: KubeObject): FieldError[] {
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

export const configMapResource: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  plural: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  namespaced: true,
  strategy: {
    validate: (obj) => validateConfigMapData(obj),
    validateUpdate: (obj, old) => [
      ...validateConfigMapData(obj),
      ...immutableDataErrors(obj, old, ['data', 'binaryData']),
    ],
  },
  hasStatus: false,
  columns: [
    {
      name: 'DATA',
      type: 'integer',
      description: 'Number of keys in data and binaryData.',
      cell: (obj) => mapSize(obj, 'data') + mapSize(obj, 'binaryData'),
    },
  ],
};
