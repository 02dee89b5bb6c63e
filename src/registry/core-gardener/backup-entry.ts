/** BackupEntry's (core.gardener.cloud) definition: Gardener's strategy, columns and seed-name field selectors. */
import {
  backupEntryResource,
  backupEntrySpecSeedName,
  backupEntryStatusSeedName,
  validateBackupEntrySpec,
  validateBackupEntryStatus,
} from '../../api/core-gardener/backup-entry.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns, kindFields } from '../columns.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';
import { lastOperationProgressColumn, lastOperationStateColumn } from './columns.js';

export const backupEntryDefinition: ResourceDefinition = {
  ...backupEntryResource,
  ...gardenSchemas.BackupEntry,
  listKind: 'BackupEntryList',
  singular: 'backupentry',
  strategy: gardenerStrategy({
    validate: (obj) => validateBackupEntrySpec(obj.spec),
    validateUpdate: (obj) => validateBackupEntrySpec(obj.spec),
  }),
  subresources: [statusSubresource(undefined, validateBackupEntryStatus)],
  hasStatus: true,
  columns: kindColumns(backupEntryResource, [
    { name: 'BUCKET', type: 'string', cell: (entry) => entry.spec.bucketName },
    { name: 'SEED', type: 'string', cell: (entry) => backupEntrySpecSeedName(entry) ?? '<none>' },
    lastOperationStateColumn,
    lastOperationProgressColumn,
    {
      name: 'STATUS SEED',
      type: 'string',
      priority: 1,
      description: 'The seed that last reconciled the entry (status.seedName).',
      cell: (entry) => backupEntryStatusSeedName(entry) ?? '<none>',
    },
    ageColumn,
  ]),
  selectableFields: kindFields(backupEntryResource, {
    'spec.seedName': (entry) => backupEntrySpecSeedName(entry) ?? '',
    'status.seedName': (entry) => backupEntryStatusSeedName(entry) ?? '',
    'spec.bucketName': (entry) => entry.spec.bucketName,
  }),
};
