/**
 * Worker (extensions.gardener.cloud/v1alpha1, namespaced): the shoot's worker pools. Each pool
 * needs a unique `name` (an RFC 1123 label: it ends up in machine and node names), a
 * `machineType`, and `0 <= minimum <= maximum`. Unlike Gardener, `machineImage` is optional
 * (Transplant's node agents have none); when given it needs a name and a version. `type` and
 * `region` are immutable.
 */
import { FieldError } from '../errors.js';
import { aNumber, anIntOrString, aString, aStringMap, listOf, optional, shape } from '../kind-guard.js';
import { isRecord } from '../meta.js';
import { optionalObject, optionalString, validateLabels, validateObjectMetaName } from '../validation.js';
import {
  type ExtensionObject,
  type ExtensionStatus,
  type ExtensionValidation,
  extensionKind,
  PROVIDER_SPEC,
  type ProviderSpec,
} from './common.js';
import {
  optionalEnum,
  optionalNonNegativeInteger,
  requiredString,
  validateSecretReference,
  validateStringList,
} from './field-validation.js';

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
}

/** One of `status.machineDeployments`: a pool as the provider runs it. */
export interface MachineDeployment {
  name: string;
  minimum: number;
  maximum: number;
}

export interface WorkerSpec extends ProviderSpec {
  pools: WorkerPool[];
  sshPublicKey?: string;
  /** The Infrastructure's `status.providerStatus`, handed on by the gardenlet. */
  infrastructureProviderStatus?: Record<string, unknown>;
}

export interface WorkerStatus extends ExtensionStatus {
  machineDeployments?: MachineDeployment[];
}

export type Worker = ExtensionObject<WorkerSpec, WorkerStatus>;

/**
 * The guard (whether an object is a Worker with the fields above, of their types) and the
 * reference that carries it, so that clients read checked objects.
 */
export const { is: isWorker, resource: workerResource } = extensionKind<Worker>(
  { kind: 'Worker', plural: 'workers', namespaced: true },
  {
    spec: {
      ...PROVIDER_SPEC,
      pools: listOf(
        shape<WorkerPool>({
          name: aString,
          machineType: aString,
          minimum: aNumber,
          maximum: aNumber,
          maxSurge: optional(anIntOrString),
          maxUnavailable: optional(anIntOrString),
          machineImage: optional(shape({ name: aString, version: aString })),
          labels: optional(aStringMap),
          annotations: optional(aStringMap),
          zones: optional(listOf(aString)),
          kubernetesVersion: optional(aString),
        }),
      ),
      sshPublicKey: optional(aString),
    },
    status: {
      machineDeployments: optional(
        listOf(shape<MachineDeployment>({ name: aString, minimum: aNumber, maximum: aNumber })),
      ),
    },
  },
);

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
  immutable: ['region'],
};
