/** BackupBucket's (core.gardener.cloud) definition: Gardener's strategy and columns. */
import {
  backupBucketResource,
  backupBucketSeedName,
  validateBackupBucketSpec,
  validateBackupBucketUpdate,
} from '../../api/core-gardener/backup-bucket.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns, kindFields } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';
import { lastOperationProgressColumn, lastOperationStateColumn } from './columns.js';

export const backupBucketDefinition: ResourceDefinition = {
  ...backupBucketResource,
  ...gardenSchemas.BackupBucket,
  listKind: 'BackupBucketList',
  singular: 'backupbucket',
  strategy: gardenerStrategy({
    validate: (obj) => validateBackupBucketSpec(obj.spec),
    validateUpdate: validateBackupBucketUpdate,
  }),
  subresources: [statusSubresource()],
  hasStatus: true,
  columns: kindColumns(backupBucketResource, [
    { name: 'PROVIDER', type: 'string', cell: (bucket) => bucket.spec.provider.type },
    { name: 'REGION', type: 'string', cell: (bucket) => bucket.spec.provider.region ?? '' },
    { name: 'SEED', type: 'string', cell: (bucket) => backupBucketSeedName(bucket) ?? '<none>' },
    lastOperationStateColumn,
    lastOperationProgressColumn,
    ageColumn,
  ]),
  selectableFields: kindFields(backupBucketResource, {
    'spec.seedName': (bucket) => backupBucketSeedName(bucket) ?? '',
  }),
};
