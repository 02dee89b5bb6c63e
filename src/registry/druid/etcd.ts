/** Etcd's definition: Gardener-style strategy with the CRD's defaults, and etcd-druid's printer columns. */
import { getCondition } from '../../api/core-gardener/conditions.js';
import { type Etcd, EtcdConditionType, etcdReplicas, etcdResource } from '../../api/druid/etcd.js';
import {
  defaultEtcd,
  validateEtcdMembership,
  validateEtcdSpec,
  validateEtcdSpecUpdate,
  validateEtcdStatus,
} from '../../api/druid/etcd-validation.js';
import type { ResourceDefinition, TableColumn } from '../../apiserver/types.js';
import { ageColumn, kindColumns } from '../columns.js';
import { conditionsByType } from '../field-types.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

function conditionColumn(name: string, type: string, priority = 0): TableColumn<Etcd> {
  return {
    name,
    type: 'string',
    priority,
    description: `Status of the ${type} condition.`,
    cell: (etcd) => getCondition(etcd.status?.conditions ?? [], type)?.status ?? null,
  };
}

function statusIntegerColumn(name: string, field: 'currentReplicas' | 'readyReplicas'): TableColumn<Etcd> {
  return { name, type: 'integer', priority: 1, cell: (etcd) => etcd.status?.[field] ?? null };
}

/** etcd-druid's printer columns. */
const etcdColumns: TableColumn<Etcd>[] = [
  {
    name: 'READY',
    type: 'string',
    description: 'Whether all etcd replicas are ready (status.ready).',
    cell: (etcd) => (etcd.status?.ready === undefined ? null : String(etcd.status.ready)),
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
    cell: etcdReplicas,
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
    validate: (obj) => [...validateEtcdSpec(obj.spec), ...validateEtcdMembership(obj.spec, obj.metadata.name ?? '')],
    validateUpdate: (obj, old) => [
      ...validateEtcdSpecUpdate(obj, old),
      ...validateEtcdSpec(obj.spec),
      ...validateEtcdMembership(obj.spec, obj.metadata.name ?? ''),
    ],
  }),
  subresources: [statusSubresource(undefined, validateEtcdStatus)],
  hasStatus: true,
  fieldTypes: conditionsByType,
  columns: kindColumns(etcdResource, etcdColumns),
};
