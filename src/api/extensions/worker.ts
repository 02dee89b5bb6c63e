/**
 * Worker (extensions.gardener.cloud/v1alpha1, namespaced): the shoot's worker pools. Each pool
 * needs a unique `name` (an RFC 1123 label: it ends up in machine and node names), a
 * `machineType`, and `0 <= minimum <= maximum`. Unlike Gardener, `machineImage` is optional
 * (Transplant's node agents have none); when given it needs a name and a version. `type` and
 * `region` are immutable.
 */
import { pathValue } from '../core-gardener/common.js';
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalObject, optionalString, validateLabels, validateObjectMetaName } from '../validation.js';
import { EXTENSIONS_GROUP, EXTENSIONS_VERSION, type ExtensionValidation } from './common.js';
import {
  optionalEnum,
  optionalNonNegativeInteger,
  requiredString,
  validateSecretReference,
  validateStringList,
} from './field-validation.js';

export const workerResource = resourceRef({
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'Worker',
  plural: 'workers',
  namespaced: true,
});

/** CPU architectures a pool may name (v1beta1constants.ValidArchitectures). */
export const WORKER_ARCHITECTURES = ['amd64', 'arm64'] as const;

/** One entry of `spec.pools` (the fields Transplant reads; others are kept as they are). */
export interface WorkerPool {
  name: string;
  machineType: string;
  minimum: number;
  maximum: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  machineImage?: { name: string; version: string };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  zones?: string[];
  /** The Kubernetes version of the pool's nodes (the shoot's unless the pool names its own). */
  kubernetesVersion?: string;
  [field: string]: unknown;
}

/** `spec.pools`, skipping entries without a name. */
export function workerPools(worker: KubeObject): WorkerPool[] {
  const pools = pathValue(worker, 'spec.pools');
  if (!Array.isArray(pools)) return [];
  return pools.filter((p): p is WorkerPool => isRecord(p) && typeof p.name === 'string' && p.name !== '');
}

/** `status.machineDeployments` names with their bounds, skipping malformed entries. */
export function workerMachineDeployments(worker: KubeObject): { name: string; minimum: number; maximum: number }[] {
  const list = pathValue(worker, 'status.machineDeployments');
  if (!Array.isArray(list)) return [];
  return list.filter(
    (d): d is { name: string; minimum: number; maximum: number } =>
      isRecord(d) && typeof d.name === 'string' && typeof d.minimum === 'number' && typeof d.maximum === 'number',
  );
}

function intOrString(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null || typeof value === 'string') return [];
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return [];
  return [FieldError.typeInvalid(path, value, 'must be a non-negative integer or a percentage string')];
}

function validatePool(pool: unknown, at: string): FieldError[] {
  if (!isRecord(pool)) return [FieldError.typeInvalid(at, pool, 'must be an object')];
  const errs = requiredString(pool.name, `${at}.name`);
  if (typeof pool.name === 'string' && pool.name !== '') {
    errs.push(...validateObjectMetaName(pool.name, 'label', `${at}.name`));
  }
  errs.push(...requiredString(pool.machineType, `${at}.machineType`));
  for (const bound of ['minimum', 'maximum'] as const) {
    if (pool[bound] === undefined || pool[bound] === null) errs.push(FieldError.required(`${at}.${bound}`));
    else errs.push(...optionalNonNegativeInteger(pool[bound], `${at}.${bound}`));
  }
  if (typeof pool.minimum === 'number' && typeof pool.maximum === 'number' && pool.maximum < pool.minimum) {
    errs.push(FieldError.forbidden(`${at}.maximum`, 'maximum value must not be less than minimum value'));
  }
  errs.push(...intOrString(pool.maxSurge, `${at}.maxSurge`));
  errs.push(...intOrString(pool.maxUnavailable, `${at}.maxUnavailable`));
  errs.push(...optionalObject(pool.machineImage, `${at}.machineImage`));
  if (isRecord(pool.machineImage)) {
    errs.push(...requiredString(pool.machineImage.name, `${at}.machineImage.name`));
    errs.push(...requiredString(pool.machineImage.version, `${at}.machineImage.version`));
  }
  errs.push(...optionalString(pool.kubernetesVersion, `${at}.kubernetesVersion`));
  errs.push(...optionalEnum(pool.architecture, `${at}.architecture`, WORKER_ARCHITECTURES));
  errs.push(...validateLabels(pool.labels, `${at}.labels`));
  errs.push(...validateStringList(pool.zones, `${at}.zones`));
  errs.push(...optionalObject(pool.providerConfig, `${at}.providerConfig`));
  return errs;
}

function validateWorkerSpec(spec: Record<string, unknown>): FieldError[] {
  const errs = [
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalString(spec.sshPublicKey, 'spec.sshPublicKey'),
    ...optionalObject(spec.infrastructureProviderStatus, 'spec.infrastructureProviderStatus'),
  ];
  const pools = spec.pools;
  if (pools === undefined || pools === null) {
    errs.push(FieldError.required('spec.pools', 'field is required'));
    return errs;
  }
  if (!Array.isArray(pools)) {
    errs.push(FieldError.typeInvalid('spec.pools', pools, 'must be a list'));
    return errs;
  }
  const seen = new Set<string>();
  pools.forEach((pool, i) => {
    const at = `spec.pools[${i}]`;
    errs.push(...validatePool(pool, at));
    if (isRecord(pool) && typeof pool.name === 'string' && pool.name !== '') {
      if (seen.has(pool.name)) errs.push(FieldError.duplicate(`${at}.name`, pool.name));
      seen.add(pool.name);
    }
  });
  return errs;
}

/** What Worker adds to the validation of every extension kind. */
export const workerValidation: ExtensionValidation = {
  validateSpec: validateWorkerSpec,
  immutable: ['spec.region'],
};
