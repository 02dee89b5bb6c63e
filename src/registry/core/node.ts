/**
 * Node's definition: updates of the main resource keep the stored status (the agent reports
 * through `nodes/status`), and `kubectl get nodes` prints STATUS, ROLES, AGE and VERSION like
 * kubectl's printer (`-o wide` adds addresses and node info).
 */
import {
  nodeAddress,
  nodeInfoField,
  nodeResource,
  nodeRoles,
  nodeStatusColumn,
  validateNode,
  validateNodeSpec,
  validateNodeStatus,
} from '../../api/core/node.js';
import { isRecord } from '../../api/meta.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { conditionsByType } from '../field-types.js';
import { keepOldStatus, statusSubresource } from '../strategies.js';

export const nodeDefinition: ResourceDefinition = {
  ...nodeResource,
  listKind: 'NodeList',
  singular: 'node',
  shortNames: ['no'],
  strategy: {
    prepareForUpdate(obj, old) {
      keepOldStatus(obj, old);
    },
    validate: validateNode,
    validateUpdate: (obj) => validateNodeSpec(obj.spec),
  },
  subresources: [statusSubresource(undefined, (obj) => validateNodeStatus(obj.status))],
  hasStatus: true,
  fieldTypes: { ...conditionsByType, 'status.addresses': { mapKeys: ['type'] }, 'spec.podCIDRs': 'set' },
  columns: [
    {
      name: 'STATUS',
      type: 'string',
      description: 'Ready, NotReady or Unknown, from the Ready condition.',
      cell: nodeStatusColumn,
    },
    {
      name: 'ROLES',
      type: 'string',
      description: 'The roles of the node, from its node-role.kubernetes.io/* labels.',
      cell: (obj) => nodeRoles(obj).join(',') || '<none>',
    },
    ageColumn,
    {
      name: 'VERSION',
      type: 'string',
      description: 'Kubelet version reported by the node.',
      cell: (obj) => nodeInfoField(obj, 'kubeletVersion'),
    },
    {
      name: 'INTERNAL-IP',
      type: 'string',
      priority: 1,
      description: 'The node’s internal address.',
      cell: (obj) => nodeAddress(obj, 'InternalIP'),
    },
    {
      name: 'EXTERNAL-IP',
      type: 'string',
      priority: 1,
      description: 'The node’s external address.',
      cell: (obj) => nodeAddress(obj, 'ExternalIP'),
    },
    {
      name: 'OS-IMAGE',
      type: 'string',
      priority: 1,
      description: 'OS image reported by the node.',
      cell: (obj) => nodeInfoField(obj, 'osImage') || '<unknown>',
    },
    {
      name: 'KERNEL-VERSION',
      type: 'string',
      priority: 1,
      description: 'Kernel version reported by the node.',
      cell: (obj) => nodeInfoField(obj, 'kernelVersion') || '<unknown>',
    },
    {
      name: 'CONTAINER-RUNTIME',
      type: 'string',
      priority: 1,
      description: 'Container runtime version reported by the node.',
      cell: (obj) => nodeInfoField(obj, 'containerRuntimeVersion') || '<unknown>',
    },
  ],
  selectableFields: {
    'spec.unschedulable': (obj) => String(isRecord(obj.spec) && obj.spec.unschedulable === true),
  },
};
