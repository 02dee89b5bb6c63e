/** ShootState's definition: Gardener's strategy (no status) and columns counting its three lists. */
import { shootStateResource, validateShootStateSpec } from '../../api/core-gardener/shoot-state.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy } from '../strategies.js';

export const shootStateDefinition: ResourceDefinition = {
  ...shootStateResource,
  ...gardenSchemas.ShootState,
  listKind: 'ShootStateList',
  singular: 'shootstate',
  strategy: gardenerStrategy({
    validate: (obj) => validateShootStateSpec(obj.spec),
    validateUpdate: (obj) => validateShootStateSpec(obj.spec),
  }),
  hasStatus: false,
  columns: kindColumns(shootStateResource, [
    {
      name: 'GARDENER',
      type: 'integer',
      description: 'Entries in spec.gardener.',
      cell: (state) => state.spec?.gardener?.length ?? 0,
    },
    {
      name: 'EXTENSIONS',
      type: 'integer',
      description: 'Entries in spec.extensions.',
      cell: (state) => state.spec?.extensions?.length ?? 0,
    },
    {
      name: 'RESOURCES',
      type: 'integer',
      description: 'Entries in spec.resources.',
      cell: (state) => state.spec?.resources?.length ?? 0,
    },
    ageColumn,
  ]),
};
