/** CloudProfile's definition: Gardener's strategy (no status) and its `kubectl get` columns (PROVIDER). */
import { cloudProfileResource, validateCloudProfile } from '../../api/core-gardener/cloud-profile.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy } from '../strategies.js';

export const cloudProfileDefinition: ResourceDefinition = {
  ...cloudProfileResource,
  ...gardenSchemas.CloudProfile,
  listKind: 'CloudProfileList',
  singular: 'cloudprofile',
  strategy: gardenerStrategy({ validate: validateCloudProfile, validateUpdate: validateCloudProfile }),
  hasStatus: false,
  columns: kindColumns(cloudProfileResource, [
    { name: 'PROVIDER', type: 'string', cell: (profile) => profile.spec.type },
    ageColumn,
  ]),
};
