/** BackupEntry's (core.gardener.cloud) definition: Gardener's strategy, columns and seed-name field selectors. */
import {
  backupEntryBucketName,
  backupEntryResource,
  backupEntrySpecSeedName,
  backupEntryStatusSeedName,
  validateBackupEntrySpec,
  validateBackupEntryStatus,
} from '../../api/core-gardener/backup-entry.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';
import { lastOperationProgressColumn, lastOperationStateColumn } from './columns.js';

export const backupEntryDefinition: ResourceDefinition = {
  ...backupEntryResource,
  listKind: 'BackupEntryList',
  singular: 'backupentry',
  strategy: gardenerStrategy({
    validate: (obj) => validateBackupEntrySpec(obj.spec),
    validateUpdate: (obj) => validateBackupEntrySpec(obj.spec),
  }),
  subresources: [statusSubresource(undefined, validateBackupEntryStatus)],
  hasStatus: true,
  columns: [
    { name: 'BUCKET', type: 'string', cell: (obj) => backupEntryBucketName(obj) ?? '' },
    { name: 'SEED', type: 'string', cell: (obj) => backupEntrySpecSeedName(obj) ?? '<none>' },
    lastOperationStateColumn,
    lastOperationProgressColumn,
    {
      name: 'STATUS SEED',
      type: 'string',
      priority: 1,
      description: 'The seed that last reconciled the entry (status.seedName).',
      cell: (obj) => backupEntryStatusSeedName(obj) ?? '<none>',
    },
    ageColumn,
  ],
  selectableFields: {
    'spec.seedName': (obj) => backupEntrySpecSeedName(obj) ?? '',
    'status.seedName': (obj) => backupEntryStatusSeedName(obj) ?? '',
    'spec.bucketName': (obj) => backupEntryBucketName(obj) ?? '',
  },
};
