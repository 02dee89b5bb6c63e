/** BackupBucket's (core.gardener.cloud) definition: Gardener's strategy and columns. */
import {
  backupBucketResource,
  backupBucketSeedName,
  validateBackupBucketSpec,
  validateBackupBucketUpdate,
} from '../../api/core-gardener/backup-bucket.js';
import { pathString } from '../../api/core-gardener/common.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';
import { lastOperationProgressColumn, lastOperationStateColumn } from './columns.js';

export const backupBucketDefinition: ResourceDefinition = {
  ...backupBucketResource,
  listKind: 'BackupBucketList',
  singular: 'backupbucket',
  strategy: gardenerStrategy({
    validate: (obj) => validateBackupBucketSpec(obj.spec),
    validateUpdate: validateBackupBucketUpdate,
  }),
  subresources: [statusSubresource()],
  hasStatus: true,
  columns: [
    { name: 'PROVIDER', type: 'string', cell: (obj) => pathString(obj, 'spec.provider.type') ?? '' },
    { name: 'REGION', type: 'string', cell: (obj) => pathString(obj, 'spec.provider.region') ?? '' },
    { name: 'SEED', type: 'string', cell: (obj) => backupBucketSeedName(obj) ?? '<none>' },
    lastOperationStateColumn,
    lastOperationProgressColumn,
    ageColumn,
  ],
  selectableFields: {
    'spec.seedName': (obj) => backupBucketSeedName(obj) ?? '',
  },
};
