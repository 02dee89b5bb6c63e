/** CredentialsBinding's definition: no spec and no status (Gardener's); its `kubectl get` columns. */
import {
  credentialsBindingResource,
  validateCredentialsBinding,
  validateCredentialsBindingUpdate,
} from '../../api/security-gardener/credentials-binding.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { topLevelFieldsStrategy } from '../strategies.js';

export const credentialsBindingDefinition: ResourceDefinition = {
  ...credentialsBindingResource,
  ...gardenSchemas.CredentialsBinding,
  listKind: 'CredentialsBindingList',
  singular: 'credentialsbinding',
  strategy: topLevelFieldsStrategy({
    validate: validateCredentialsBinding,
    validateUpdate: validateCredentialsBindingUpdate,
  }),
  hasStatus: false,
  columns: kindColumns(credentialsBindingResource, [
    { name: 'PROVIDER', type: 'string', cell: (binding) => binding.provider?.type ?? '' },
    { name: 'APIVERSION', type: 'string', cell: (binding) => binding.credentialsRef?.apiVersion ?? '' },
    { name: 'KIND', type: 'string', cell: (binding) => binding.credentialsRef?.kind ?? '' },
    {
      // Gardener's header repeats NAME: the referenced credentials' `<namespace>/<name>`.
      name: 'NAME',
      type: 'string',
      description: 'Name is the namespace and name of the referenced credentials provider.',
      cell: (binding) => `${binding.credentialsRef?.namespace ?? ''}/${binding.credentialsRef?.name ?? ''}`,
    },
    ageColumn,
  ]),
};
