/** ServiceAccount's definition: validation only, a SECRETS column. */
import { serviceAccountResource, validateServiceAccount } from '../../api/core/service-account.js';
import type { ResourceDefinition } from '../../apiserver/types.js';

export const serviceAccountDefinition: ResourceDefinition = {
  ...serviceAccountResource,
  listKind: 'ServiceAccountList',
  singular: 'serviceaccount',
  shortNames: ['sa'],
  strategy: {
    validate: validateServiceAccount,
    validateUpdate: validateServiceAccount,
  },
  hasStatus: false,
  columns: [
    {
      name: 'SECRETS',
      type: 'integer',
      description: 'Number of secrets listed.',
      cell: (obj) => (Array.isArray(obj.secrets) ? obj.secrets.length : 0),
    },
  ],
};
