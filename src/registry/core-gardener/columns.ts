/** Columns the backup kinds of core.gardener.cloud share: their last operation's state and progress. */
import type { BackupBucket } from '../../api/core-gardener/backup-bucket.js';
import type { BackupEntry } from '../../api/core-gardener/backup-entry.js';
import type { TableColumn } from '../../apiserver/types.js';

type WithLastOperation = BackupBucket | BackupEntry;

/** OPERATION: `status.lastOperation.state`, `<pending>` without one. */
export const lastOperationStateColumn: TableColumn<WithLastOperation> = {
  name: 'OPERATION',
  type: 'string',
  description: 'State of the last operation.',
  cell: (obj) => obj.status?.lastOperation?.state ?? '<pending>',
};

/** PROGRESS: `status.lastOperation.progress`, 0 without one. */
export const lastOperationProgressColumn: TableColumn<WithLastOperation> = {
  name: 'PROGRESS',
  type: 'integer',
  description: 'Progress of the last operation.',
  cell: (obj) => obj.status?.lastOperation?.progress ?? 0,
};
