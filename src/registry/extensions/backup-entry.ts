/**
 * BackupEntry's (extensions.gardener.cloud) definition: the extension strategy, Gardener's
 * printer columns and a `spec.bucketName` field selector.
 */
import {
  extensionBackupEntryBucketName,
  extensionBackupEntryResource,
  extensionBackupEntryValidation,
} from '../../api/extensions/backup-entry.js';
import { ageColumn } from '../columns.js';
import {
  extensionKindDefinition,
  extensionSelectableFields,
  lastOperationStateColumn,
  regionColumn,
  typeColumn,
} from './common.js';

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
        cell: (obj) => extensionBackupEntryBucketName(obj) ?? null,
      },
      lastOperationStateColumn('STATE'),
      ageColumn,
    ],
    selectableFields: {
      ...extensionSelectableFields,
      'spec.bucketName': (obj) => extensionBackupEntryBucketName(obj) ?? '',
    },
  },
);
