/** SecretBinding's definition: no spec and no status (Gardener's); columns SECRET and PROVIDER. */
import {
  defaultSecretBinding,
  secretBindingResource,
  validateSecretBinding,
  validateSecretBindingUpdate,
} from '../../api/core-gardener/secret-binding.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { topLevelFieldsStrategy } from '../strategies.js';

export const secretBindingDefinition: ResourceDefinition = {
  ...secretBindingResource,
  ...gardenSchemas.SecretBinding,
  listKind: 'SecretBindingList',
  singular: 'secretbinding',
  strategy: topLevelFieldsStrategy({
    defaults: defaultSecretBinding,
    validate: validateSecretBinding,
    validateUpdate: validateSecretBindingUpdate,
  }),
  hasStatus: false,
  columns: kindColumns(secretBindingResource, [
    {
      name: 'SECRET',
      type: 'string',
      cell: (binding) => `${binding.secretRef?.namespace ?? ''}/${binding.secretRef?.name ?? ''}`,
    },
    { name: 'PROVIDER', type: 'string', cell: (binding) => binding.provider?.type || '<none>' },
    ageColumn,
  ]),
};
