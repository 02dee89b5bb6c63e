/** Seed's definition: Gardener's strategy and the columns of Gardener's seed table. */
import { formatLastOperation } from '../../api/core-gardener/common.js';
import { seedResource, validateSeed, validateSeedUpdate } from '../../api/core-gardener/seed.js';
import { seedStatusColumn } from '../../api/core-gardener/seed-readiness.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { conditionsByType } from '../field-types.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

export const seedDefinition: ResourceDefinition = {
  ...seedResource,
  ...gardenSchemas.Seed,
  listKind: 'SeedList',
  singular: 'seed',
  nameRule: 'label',
  strategy: gardenerStrategy({ validate: validateSeed, validateUpdate: validateSeedUpdate }),
  subresources: [statusSubresource()],
  hasStatus: true,
  fieldTypes: conditionsByType,
  columns: kindColumns(seedResource, [
    {
      name: 'STATUS',
      type: 'string',
      description: 'Ready, NotReady or Unknown, from the seed conditions.',
      cell: seedStatusColumn,
    },
    {
      name: 'LAST OPERATION',
      type: 'string',
      description: 'The last operation of the seed.',
      cell: formatLastOperation,
    },
    { name: 'PROVIDER', type: 'string', cell: (seed) => seed.spec.provider?.type ?? '' },
    { name: 'REGION', type: 'string', cell: (seed) => seed.spec.provider?.region ?? '' },
    ageColumn,
    {
      name: 'VERSION',
      type: 'string',
      description: 'The version of the gardenlet serving the seed.',
      cell: (seed) => seed.status?.gardener?.version || '<unknown>',
    },
    {
      name: 'K8S VERSION',
      type: 'string',
      description: 'The Kubernetes version of the seed.',
      cell: (seed) => seed.status?.kubernetesVersion || '<unknown>',
    },
  ]),
};
