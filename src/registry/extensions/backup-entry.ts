/**
 * BackupEntry's (extensions.gardener.cloud) definition: the extension strategy, Gardener's
 * printer columns and a `spec.bucketName` field selector.
 */
import { extensionBackupEntryResource, extensionBackupEntryValidation } from '../../api/extensions/backup-entry.js';
import { ageColumn } from '../columns.js';
import { extensionKindDefinition, lastOperationStateColumn, regionColumn, typeColumn } from './common.js';

export const extensionBackupEntryDefinition = extensionKindDefinition(
  extensionBackupEntryResource,
  extensionBackupEntryValidation,
  {
    listKind: 'BackupEntryList',
    singular: 'backupentry',
    shortNames: ['be'],
    columns: [
      typeColumn,
      regionColumn,
      {
        name: 'BUCKET',
        type: 'string',
        description: 'The name of the bucket the backup entry lives in.',
        cell: (entry) => entry.spec.bucketName || null,
      },
      lastOperationStateColumn('STATE'),
      ageColumn,
    ],
    selectableFields: { 'spec.bucketName': (entry) => entry.spec.bucketName },
  },
);
