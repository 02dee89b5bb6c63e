/**
 * What is special about the core kinds this package adds (the older ones — Namespace, Secret,
 * ConfigMap, Event, ServiceAccount, Node — have definitions of their own in src/registry/core):
 * Pod, Service, Endpoints, PersistentVolumeClaim, PersistentVolume, PodTemplate, ResourceQuota,
 * LimitRange. Defaults and checks come from src/api/core; the columns are kubectl's.
 */
import {
  claimCells,
  defaultClaim,
  defaultVolume,
  initialClaimStatus,
  initialVolumeStatus,
  validateClaim,
  validateClaimUpdate,
  validateVolume,
  validateVolumeUpdate,
  volumeCells,
} from '../../api/core/persistent-volume.js';
import {
  defaultPod,
  initialPodStatus,
  podDeletionGracePeriod,
  podIP,
  podNode,
  podNominatedNode,
  podReadinessGates,
  podReady,
  podRestarts,
  podStatusReason,
  validatePod,
  validatePodUpdate,
} from '../../api/core/pod.js';
import { defaultTemplate, type PodTemplateSpec, validateTemplate } from '../../api/core/pod-template.js';
import {
  defaultService,
  formatLabels,
  initialServiceStatus,
  keepAllocatedValues,
  serviceExternalIP,
  servicePorts,
  validateService,
  validateServiceUpdate,
} from '../../api/core/service.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import { ageColumn } from '../columns.js';
import { createdAtColumn } from '../rbac/common.js';
import type { KindBehaviour } from './builder.js';
import { at, column, templateColumns, text } from './columns.js';
import { podBindingSubresource } from './pod-binding.js';

export const pod: KindBehaviour = {
  defaults: defaultPod,
  prepareForCreate: initialPodStatus,
  validate: validatePod,
  validateUpdate: validatePodUpdate,
  gracePeriodSeconds: podDeletionGracePeriod,
  subresources: [podBindingSubresource],
  columns: [
    column('READY', podReady),
    column('STATUS', podStatusReason),
    column('RESTARTS', podRestarts, { type: 'integer' }),
    ageColumn,
    column('IP', podIP, { wide: true }),
    column('NODE', podNode, { wide: true }),
    column('NOMINATED NODE', podNominatedNode, { wide: true }),
    column('READINESS GATES', podReadinessGates, { wide: true }),
  ],
  selectableFields: Object.fromEntries(
    [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ].map((path) => [path, (obj: KubeObject) => (at(obj, path) === undefined ? '' : String(at(obj, path)))]),
  ),
};

export const service: KindBehaviour = {
  nameRule: 'dns1035Label',
  defaults: defaultService,
  prepareForCreate: initialServiceStatus,
  prepareForUpdate: keepAllocatedValues,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  columns: [
    column('TYPE', (o) => text(o, 'spec.type', '')),
    column('CLUSTER-IP', (o) => text(o, 'spec.clusterIP')),
    column('EXTERNAL-IP', serviceExternalIP),
    column('PORT(S)', servicePorts),
    ageColumn,
    column('SELECTOR', (o) => formatLabels(at(o, 'spec.selector') as Record<string, string> | undefined), {
      wide: true,
    }),
  ],
};

/** ENDPOINTS: the first three `ip:port` pairs, then how many more. */
function endpointsCell(obj: KubeObject): string {
  const pairs: string[] = [];
  for (const subset of Array.isArray(obj.subsets) ? obj.subsets : []) {
    const addresses = Array.isArray(at(subset, 'addresses')) ? (at(subset, 'addresses') as { ip?: string }[]) : [];
    const ports = Array.isArray(at(subset, 'ports')) ? (at(subset, 'ports') as { port?: number }[]) : [];
    for (const address of addresses) {
      if (ports.length === 0) pairs.push(address.ip ?? '');
      for (const port of ports) pairs.push(`${address.ip ?? ''}:${port.port ?? ''}`);
    }
  }
  if (pairs.length === 0) return '<none>';
  return pairs.length > 3 ? `${pairs.slice(0, 3).join(',')} + ${pairs.length - 3} more...` : pairs.join(',');
}

export const endpoints: KindBehaviour = { columns: [column('ENDPOINTS', endpointsCell)] };

export const persistentVolumeClaim: KindBehaviour = {
  defaults: defaultClaim,
  prepareForCreate: initialClaimStatus,
  validate: validateClaim,
  validateUpdate: validateClaimUpdate,
  columns: [
    column('STATUS', (o) => claimCells(o).status),
    column('VOLUME', (o) => claimCells(o).volume),
    column('CAPACITY', (o) => claimCells(o).capacity),
    column('ACCESS MODES', (o) => claimCells(o).accessModes),
    column('STORAGECLASS', (o) => claimCells(o).storageClass),
    column('VOLUMEATTRIBUTESCLASS', (o) => claimCells(o).attributesClass),
    ageColumn,
    column('VOLUMEMODE', (o) => claimCells(o).volumeMode, { wide: true }),
  ],
};

export const persistentVolume: KindBehaviour = {
  defaults: defaultVolume,
  prepareForCreate: initialVolumeStatus,
  validate: validateVolume,
  validateUpdate: validateVolumeUpdate,
  columns: [
    column('CAPACITY', (o) => volumeCells(o).capacity),
    column('ACCESS MODES', (o) => volumeCells(o).accessModes),
    column('RECLAIM POLICY', (o) => volumeCells(o).reclaimPolicy),
    column('STATUS', (o) => volumeCells(o).status),
    column('CLAIM', (o) => volumeCells(o).claim),
    column('STORAGECLASS', (o) => volumeCells(o).storageClass),
    column('VOLUMEATTRIBUTESCLASS', (o) => volumeCells(o).attributesClass),
    column('REASON', (o) => volumeCells(o).reason),
    ageColumn,
    column('VOLUMEMODE', (o) => volumeCells(o).volumeMode, { wide: true }),
  ],
};

function podTemplateOf(obj: KubeObject): PodTemplateSpec | undefined {
  return isRecord(obj.template) ? (obj.template as PodTemplateSpec) : undefined;
}

export const podTemplate: KindBehaviour = {
  defaults: (obj) => defaultTemplate(podTemplateOf(obj)),
  validate: (obj) => validateTemplate(podTemplateOf(obj), 'template', ['Always', 'OnFailure', 'Never']),
  columns: [
    ...templateColumns('template.spec').map((c) => ({ ...c, priority: 0 })),
    column('POD LABELS', (o) => formatLabels(at(o, 'template.metadata.labels') as Record<string, string> | undefined)),
  ],
};

/** REQUEST and LIMIT of a quota: `used/hard` per resource, limits.* apart. */
function quotaCell(obj: KubeObject, limits: boolean): string {
  const hard = isRecord(at(obj, 'status.hard')) ? (at(obj, 'status.hard') as Record<string, unknown>) : {};
  const used = isRecord(at(obj, 'status.used')) ? (at(obj, 'status.used') as Record<string, unknown>) : {};
  return Object.keys(hard)
    .filter((name) => name.startsWith('limits.') === limits)
    .sort()
    .map((name) => `${name}: ${String(used[name] ?? 0)}/${String(hard[name])}`)
    .join(', ');
}

export const resourceQuota: KindBehaviour = {
  columns: [ageColumn, column('REQUEST', (o) => quotaCell(o, false)), column('LIMIT', (o) => quotaCell(o, true))],
};

export const limitRange: KindBehaviour = { columns: [createdAtColumn] };
