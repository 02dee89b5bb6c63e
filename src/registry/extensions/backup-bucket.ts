/** BackupBucket's (extensions.gardener.cloud) definition: the extension strategy and Gardener's printer columns. */
import { extensionBackupBucketResource, extensionBackupBucketValidation } from '../../api/extensions/backup-bucket.js';
import { ageColumn } from '../columns.js';
import { extensionKindDefinition, lastOperationStateColumn, regionColumn, typeColumn } from './common.js';

export const extensionBackupBucketDefinition = extensionKindDefinition(
  extensionBackupBucketResource,
  extensionBackupBucketValidation,
  {
    listKind: 'BackupBucketList',
    singular: 'backupbucket',
    shortNames: ['bb'],
    columns: [typeColumn, regionColumn, lastOperationStateColumn('STATE'), ageColumn],
  },
);
