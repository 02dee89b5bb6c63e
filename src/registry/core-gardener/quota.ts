/** Quota's definition: Gardener's strategy and columns (SCOPE, CLUSTER LIFETIME). */
import { quotaResource, quotaScope, validateQuota, validateQuotaUpdate } from '../../api/core-gardener/quota.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy } from '../strategies.js';

export const quotaDefinition: ResourceDefinition = {
  ...quotaResource,
  ...gardenSchemas.Quota,
  listKind: 'QuotaList',
  singular: 'quota',
  shortNames: ['squota'],
  strategy: gardenerStrategy({ validate: validateQuota, validateUpdate: validateQuotaUpdate }),
  hasStatus: false,
  columns: kindColumns(quotaResource, [
    { name: 'SCOPE', type: 'string', cell: quotaScope },
    {
      name: 'CLUSTER LIFETIME',
      type: 'string',
      cell: (quota) =>
        quota.spec.clusterLifetimeDays !== undefined ? `${quota.spec.clusterLifetimeDays} days` : '<unspecified>',
    },
    ageColumn,
  ]),
};
