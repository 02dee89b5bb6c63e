/**
 * PersistentVolume and PersistentVolumeClaim (v1) as the API server treats them: defaults
 * (volumeMode Filesystem, reclaim policy Retain, phase Pending on creation), the checks users
 * meet (access modes and a storage size given, a PV with exactly its volume source), the claim's
 * spec fixed once created but for resources.requests and volumeAttributesClassName of a bound
 * claim (and never smaller), a PV's source fixed — and the cells of `kubectl get pvc,pv`.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { parseQuantity } from '../quantity.js';
import { resourceRef } from '../resource-ref.js';
import { semanticEqual } from '../validation.js';

export const persistentVolumeClaimResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  namespaced: true,
});

function section(obj: KubeObject, field: 'spec' | 'status'): Record<string, unknown> {
  return isRecord(obj[field]) ? (obj[field] as Record<string, unknown>) : {};
}

function map(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function accessModeErrors(spec: Record<string, unknown>): FieldError[] {
  const modes = Array.isArray(spec.accessModes) ? spec.accessModes : [];
  return modes.length > 0 ? [] : [FieldError.required('spec.accessModes', 'at least 1 access mode is required')];
}

function storageErrors(storage: unknown, path: string, required: string): FieldError[] {
  if (storage === undefined || storage === null) return [FieldError.required(required)];
  const size = parseQuantity(storage);
  if (size === undefined || size <= 0) return [FieldError.invalid(path, storage, 'must be greater than zero')];
  return [];
}

// ---- PersistentVolumeClaim ----

export function defaultClaim(obj: KubeObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec as Record<string, unknown>;
  spec.volumeMode ??= 'Filesystem';
}

export function initialClaimStatus(obj: KubeObject): void {
  obj.status = { phase: 'Pending' };
}

export function validateClaim(obj: KubeObject): FieldError[] {
  const spec = section(obj, 'spec');
  const requests = map(map(spec.resources).requests);
  return [
    ...accessModeErrors(spec),
    ...storageErrors(requests.storage, 'spec.resources[storage]', 'spec.resources[storage]'),
  ];
}

export function validateClaimUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateClaim(obj);
  const spec = section(obj, 'spec');
  const before = { ...section(old, 'spec') };
  if (!before.volumeName) before.volumeName = spec.volumeName;
  const bound = section(old, 'status').phase === 'Bound';
  if (bound) {
    before.resources = { ...map(before.resources), requests: map(spec.resources).requests };
    before.volumeAttributesClassName = spec.volumeAttributesClassName;
    const wanted = parseQuantity(map(map(spec.resources).requests).storage);
    const capacity = parseQuantity(map(section(old, 'status').capacity).storage);
    if (wanted !== undefined && capacity !== undefined && wanted < capacity) {
      errs.push(FieldError.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
    }
  }
  if (!semanticEqual(spec, before)) {
    errs.push(
      FieldError.forbidden(
        'spec',
        'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
      ),
    );
  }
  return errs;
}

const modeNames: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

/** ACCESS MODES as kubectl abbreviates them (`RWO,RWX`). */
export function accessModes(modes: unknown): string {
  return (Array.isArray(modes) ? modes : []).map((m) => modeNames[String(m)] ?? String(m)).join(',');
}

export function claimCells(obj: KubeObject) {
  const spec = section(obj, 'spec');
  const status = section(obj, 'status');
  const bound = Boolean(spec.volumeName);
  return {
    status: String(status.phase ?? ''),
    volume: String(spec.volumeName ?? ''),
    capacity: bound ? String(map(status.capacity).storage ?? '') : '',
    accessModes: bound ? accessModes(status.accessModes) : '',
    storageClass: String(spec.storageClassName ?? '<unset>'),
    attributesClass: String(spec.volumeAttributesClassName ?? '<unset>'),
    volumeMode: String(spec.volumeMode ?? '<unset>'),
  };
}

// ---- PersistentVolume ----

/** The fields of a PV spec that name its volume source (PersistentVolumeSource). */
const volumeSources = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'csi',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'glusterfs',
  'hostPath',
  'iscsi',
  'local',
  'nfs',
  'photonPersistentDisk',
  'portworxVolume',
  'quobyte',
  'rbd',
  'scaleIO',
  'storageos',
  'vsphereVolume',
];

export function defaultVolume(obj: KubeObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec as Record<string, unknown>;
  spec.persistentVolumeReclaimPolicy ??= 'Retain';
  spec.volumeMode ??= 'Filesystem';
  if (isRecord(spec.hostPath)) spec.hostPath.type ??= '';
}

export function initialVolumeStatus(obj: KubeObject): void {
  obj.status = { phase: 'Pending' };
}

export function validateVolume(obj: KubeObject): FieldError[] {
  const spec = section(obj, 'spec');
  const capacity = map(spec.capacity);
  const errs = [...accessModeErrors(spec)];
  if (Object.keys(capacity).length === 0) errs.push(FieldError.required('spec.capacity'));
  else errs.push(...storageErrors(capacity.storage, 'spec.capacity[storage]', 'spec.capacity[storage]'));
  const sources = volumeSources.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.push(FieldError.required('spec', 'must specify a volume type'));
  if (sources.length > 1)
    errs.push(FieldError.forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  return errs;
}

export function validateVolumeUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateVolume(obj);
  const spec = section(obj, 'spec');
  const before = section(old, 'spec');
  if (volumeSources.some((s) => !semanticEqual(spec[s], before[s]))) {
    errs.push(
      FieldError.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'),
    );
  }
  return errs;
}

export function volumeCells(obj: KubeObject) {
  const spec = section(obj, 'spec');
  const status = section(obj, 'status');
  const claim = map(spec.claimRef);
  return {
    capacity: String(map(spec.capacity).storage ?? ''),
    accessModes: accessModes(spec.accessModes),
    reclaimPolicy: String(spec.persistentVolumeReclaimPolicy ?? ''),
    status: String(status.phase ?? ''),
    claim: claim.name ? `${String(claim.namespace ?? '')}/${String(claim.name)}` : '',
    storageClass: String(spec.storageClassName ?? ''),
    attributesClass: String(spec.volumeAttributesClassName ?? '<unset>'),
    reason: String(status.reason ?? ''),
    volumeMode: String(spec.volumeMode ?? '<unset>'),
  };
}
