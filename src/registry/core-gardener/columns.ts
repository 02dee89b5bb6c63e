/** Columns the backup kinds of core.gardener.cloud share: their last operation's state and progress. */
import { lastOperationOf } from '../../api/core-gardener/common.js';
import type { TableColumn } from '../../apiserver/types.js';

/** OPERATION: `status.lastOperation.state`, `<pending>` without one. */
export const lastOperationStateColumn: TableColumn = {
  name: 'OPERATION',
  type: 'string',
  description: 'State of the last operation.',
  cell: (obj) => lastOperationOf(obj)?.state ?? '<pending>',
};

/** PROGRESS: `status.lastOperation.progress`, 0 without one. */
export const lastOperationProgressColumn: TableColumn = {
  name: 'PROGRESS',
  type: 'integer',
  description: 'Progress of the last operation.',
  cell: (obj) => {
    const progress = lastOperationOf(obj)?.progress;
    return typeof progress === 'number' ? progress : 0;
  },
};
