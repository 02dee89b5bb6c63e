/** EtcdCopyBackupsTask's definition: Gardener-style strategy (spec immutable), STATUS and the two stores as columns. */
import type { StoreSpec } from '../../api/druid/common.js';
import {
  copyTaskPhase,
  etcdCopyBackupsTaskResource,
  validateCopyTaskSpec,
  validateCopyTaskSpecUpdate,
  validateCopyTaskStatus,
} from '../../api/druid/etcd-copy-backups-task.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

function storeCell(store: StoreSpec): string {
  return `${store.provider}://${store.container}/${store.prefix}`;
}

export const etcdCopyBackupsTaskDefinition: ResourceDefinition = {
  ...etcdCopyBackupsTaskResource,
  listKind: 'EtcdCopyBackupsTaskList',
  singular: 'etcdcopybackupstask',
  strategy: gardenerStrategy({
    validate: (obj) => validateCopyTaskSpec(obj.spec),
    validateUpdate: (obj, old) => [...validateCopyTaskSpecUpdate(obj, old), ...validateCopyTaskSpec(obj.spec)],
  }),
  subresources: [statusSubresource(undefined, validateCopyTaskStatus)],
  hasStatus: true,
  columns: kindColumns(etcdCopyBackupsTaskResource, [
    {
      name: 'STATUS',
      type: 'string',
      description: 'Succeeded, Failed or Processing (from the Succeeded and Failed conditions).',
      cell: copyTaskPhase,
    },
    ageColumn,
    {
      name: 'SOURCE',
      type: 'string',
      priority: 1,
      description: 'The source store as <provider>://<container>/<prefix>.',
      cell: (task) => storeCell(task.spec.sourceStore),
    },
    {
      name: 'TARGET',
      type: 'string',
      priority: 1,
      description: 'The target store as <provider>://<container>/<prefix>.',
      cell: (task) => storeCell(task.spec.targetStore),
    },
  ]),
};
