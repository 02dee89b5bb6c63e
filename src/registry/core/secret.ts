/** Secret's definition: v1 defaulting and validation from src/api/core/secret.ts, TYPE and DATA columns. */
import {
  defaultSecret,
  secretResource,
  secretType,
  validateSecret,
  validateSecretUpdate,
} from '../../api/core/secret.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { mapSize } from '../columns.js';

export const secretDefinition: ResourceDefinition = {
  ...secretResource,
  listKind: 'SecretList',
  singular: 'secret',
  strategy: {
    prepareForCreate: defaultSecret,
    prepareForUpdate: defaultSecret,
    validate: validateSecret,
    validateUpdate: validateSecretUpdate,
  },
  hasStatus: false,
  columns: [
    { name: 'TYPE', type: 'string', cell: secretType },
    { name: 'DATA', type: 'integer', description: 'Number of keys in data.', cell: (obj) => mapSize(obj, 'data') },
  ],
  selectableFields: {
    type: secretType,
  },
};
