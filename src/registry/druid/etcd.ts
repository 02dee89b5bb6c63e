/** Etcd's definition: Gardener-style strategy with the CRD's defaults, and etcd-druid's printer columns. */
import { statusOf } from '../../api/core-gardener/common.js';
import { druidConditionStatus } from '../../api/druid/common.js';
import {
  defaultEtcd,
  EtcdConditionType,
  etcdReplicas,
  etcdResource,
  validateEtcdSpec,
  validateEtcdSpecUpdate,
  validateEtcdStatus,
} from '../../api/druid/etcd.js';
import type { ResourceDefinition, TableColumn } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

function conditionColumn(name: string, type: string, priority = 0): TableColumn {
  return {
    name,
    type: 'string',
    priority,
    description: `Status of the ${type} condition.`,
    cell: (obj) => druidConditionStatus(obj, type) ?? null,
  };
}

function statusIntegerColumn(name: string, field: string): TableColumn {
  return {
    name,
    type: 'integer',
    priority: 1,
    cell: (obj) => {
      const value = statusOf(obj)?.[field];
      return typeof value === 'number' ? value : null;
    },
  };
}

/** etcd-druid's printer columns. */
const etcdColumns: TableColumn[] = [
  {
    name: 'READY',
    type: 'string',
    description: 'Whether all etcd replicas are ready (status.ready).',
    cell: (obj) => {
      const ready = statusOf(obj)?.ready;
      return typeof ready === 'boolean' ? String(ready) : null;
    },
  },
  conditionColumn('QUORATE', EtcdConditionType.Ready),
  conditionColumn('ALL MEMBERS READY', EtcdConditionType.AllMembersReady),
  conditionColumn('BACKUP READY', EtcdConditionType.BackupReady),
  ageColumn,
  {
    name: 'CLUSTER SIZE',
    type: 'integer',
    priority: 1,
    description: 'The desired number of members (spec.replicas).',
    cell: (obj) => etcdReplicas(obj),
  },
  statusIntegerColumn('CURRENT REPLICAS', 'currentReplicas'),
  statusIntegerColumn('READY REPLICAS', 'readyReplicas'),
];

export const etcdDefinition: ResourceDefinition = {
  ...etcdResource,
  listKind: 'EtcdList',
  singular: 'etcd',
  strategy: gardenerStrategy({
    defaults: defaultEtcd,
    validate: (obj) => validateEtcdSpec(obj.spec),
    validateUpdate: (obj, old) => [...validateEtcdSpecUpdate(obj, old), ...validateEtcdSpec(obj.spec)],
  }),
  subresources: [statusSubresource(undefined, validateEtcdStatus)],
  hasStatus: true,
  columns: etcdColumns,
};
