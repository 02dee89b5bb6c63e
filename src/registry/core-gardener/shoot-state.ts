/** ShootState's definition: Gardener's strategy (no status) and columns counting its three lists. */
import {
  shootStateExtensions,
  shootStateGardenerData,
  shootStateResource,
  shootStateResources,
  validateShootStateSpec,
} from '../../api/core-gardener/shoot-state.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { gardenerStrategy } from '../strategies.js';

export const shootStateDefinition: ResourceDefinition = {
  ...shootStateResource,
  listKind: 'ShootStateList',
  singular: 'shootstate',
  strategy: gardenerStrategy({
    validate: (obj) => validateShootStateSpec(obj.spec),
    validateUpdate: (obj) => validateShootStateSpec(obj.spec),
  }),
  hasStatus: false,
  columns: [
    {
      name: 'GARDENER',
      type: 'integer',
      description: 'Entries in spec.gardener.',
      cell: (obj) => shootStateGardenerData(obj).length,
    },
    {
      name: 'EXTENSIONS',
      type: 'integer',
      description: 'Entries in spec.extensions.',
      cell: (obj) => shootStateExtensions(obj).length,
    },
    {
      name: 'RESOURCES',
      type: 'integer',
      description: 'Entries in spec.resources.',
      cell: (obj) => shootStateResources(obj).length,
    },
    ageColumn,
  ],
};
