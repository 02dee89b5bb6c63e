/** EtcdCopyBackupsTask's definition: Gardener-style strategy (spec immutable), STATUS and the two stores as columns. */
import { pathValue } from '../../api/core-gardener/common.js';
import { storeSpecOf } from '../../api/druid/common.js';
import {
  copyTaskPhase,
  etcdCopyBackupsTaskResource,
  validateCopyTaskSpec,
  validateCopyTaskSpecUpdate,
  validateCopyTaskStatus,
} from '../../api/druid/etcd-copy-backups-task.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

function storeCell(obj: KubeObject, field: 'sourceStore' | 'targetStore'): string | null {
  const store = storeSpecOf(pathValue(obj, `spec.${field}`));
  return store ? `${store.provider}://${store.container}/${store.prefix}` : null;
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
  columns: [
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
      cell: (obj) => storeCell(obj, 'sourceStore'),
    },
    {
      name: 'TARGET',
      type: 'string',
      priority: 1,
      description: 'The target store as <provider>://<container>/<prefix>.',
      cell: (obj) => storeCell(obj, 'targetStore'),
    },
  ],
};
