/** ConfigMap's definition: validation from src/api/core/config-map.ts, a DATA column counting both maps. */
import { configMapResource, validateConfigMap, validateConfigMapUpdate } from '../../api/core/config-map.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { mapSize } from '../columns.js';

export const configMapDefinition: ResourceDefinition = {
  ...configMapResource,
  listKind: 'ConfigMapList',
  singular: 'configmap',
  shortNames: ['cm'],
  strategy: {
    validate: validateConfigMap,
    validateUpdate: validateConfigMapUpdate,
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
