/** Worker's definition: the extension strategy and Gardener's printer columns. */
import { workerResource, workerValidation } from '../../api/extensions/worker.js';
import { ageColumn } from '../columns.js';
import { extensionKindDefinition, lastOperationStateColumn, regionColumn, typeColumn } from './common.js';

export const workerDefinition = extensionKindDefinition(workerResource, workerValidation, {
  listKind: 'WorkerList',
  singular: 'worker',
  columns: [typeColumn, regionColumn, lastOperationStateColumn('STATUS'), ageColumn],
});
