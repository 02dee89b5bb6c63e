/**
 * Shoot's definition: the main resource, `status` and `binding` (a full Shoot whose only allowed
 * change is `spec.seedName`; which changes are allowed is the ShootValidator admission plugin's
 * decision, src/garden/admission/shoot-validator.ts), and the columns of Gardener's shoot table.
 */
import { formatLastOperation, GARDENER_OPERATION_ANNOTATION, lastOperationOf } from '../../api/core-gardener/common.js';
import { getCondition, ShootConditionType } from '../../api/core-gardener/conditions.js';
import {
  type Shoot,
  shootCloudProfileName,
  shootHealthStatus,
  shootHibernationColumn,
  shootResource,
  shootSpecSeedName,
  shootStatusSeedName,
  validateShoot,
  validateShootStatus,
  validateShootUpdate,
} from '../../api/core-gardener/shoot.js';
import { isRotationOperation, shootOperationOf } from '../../api/core-gardener/shoot-operation.js';
import type { KubeObject } from '../../api/meta.js';
import { semanticEqual } from '../../api/validation.js';
import type { ResourceDefinition, Strategy, SubresourceDefinition, TableColumn } from '../../apiserver/types.js';
import { ageColumn, kindColumns, kindFields } from '../columns.js';
import { conditionsByType } from '../field-types.js';
import { gardenSchemas } from '../gardener-schema/index.js';
import { gardenerStrategy, keepOldStatus, nextGeneration, statusStrategy } from '../strategies.js';

/**
 * `gardener.cloud/operation: reconcile` (always) and `retry` (after a failed operation) bump the
 * generation so that the gardenlet acts; both annotations are consumed here, as in Gardener. A
 * rotation (`rotate-*-start`/`-complete`) bumps it too but stays: the gardenlet takes it on,
 * records the phase and drops it (src/api/core-gardener/shoot-operation.ts).
 */
function operationAnnotationBumpsGeneration(obj: KubeObject, old: KubeObject): boolean {
  const annotations = obj.metadata.annotations;
  const operation = annotations?.[GARDENER_OPERATION_ANNOTATION];
  if (isRotationOperation(operation)) return operation !== shootOperationOf(old);
  if (!annotations || (operation !== 'reconcile' && operation !== 'retry')) return false;
  delete annotations[GARDENER_OPERATION_ANNOTATION];
  return operation === 'reconcile' || lastOperationOf(obj)?.state === 'Failed';
}

/**
 * Main resource: create clears status, generation 1; update keeps the status and bumps the
 * generation on spec changes. A changed `spec.seedName` is passed through unchanged: the
 * ShootValidator rejects it with a hint to use `shoots/binding`, it is never silently reverted.
 */
const shootStrategy: Strategy = gardenerStrategy({
  validate: validateShoot,
  validateUpdate: validateShootUpdate,
  mustIncreaseGeneration: (obj, old) => operationAnnotationBumpsGeneration(obj, old),
});

/** True when the new status finishes a Migrate (Succeeded or Aborted) that the old one had not. */
function migrateJustFinished(obj: KubeObject, old: KubeObject): boolean {
  const op = lastOperationOf(obj);
  if (op?.type !== 'Migrate' || (op.state !== 'Succeeded' && op.state !== 'Aborted')) return false;
  const before = lastOperationOf(old);
  return !(before && before.type === op.type && before.state === op.state);
}

/**
 * `shoots/status`: only status changes. Finishing a Migrate bumps the generation, which is the
 * destination gardenlet's cue to start the Restore (Gardener's shootStatusStrategy). Unlike
 * Gardener, repeated status writes with the same finished Migrate do not bump it again.
 */
const shootStatusSubresource: SubresourceDefinition = {
  name: 'status',
  strategy: statusStrategy(migrateJustFinished, validateShootStatus),
  verbs: ['get', 'update', 'patch'],
};

/**
 * `shoots/binding`: takes a full Shoot; the status stays as stored and the generation grows when
 * the spec changed. Which spec changes are allowed is admission's decision.
 */
const shootBindingSubresource: SubresourceDefinition = {
  name: 'binding',
  strategy: {
    prepareForUpdate(obj, old) {
      keepOldStatus(obj, old);
      obj.metadata.generation = nextGeneration(old, !semanticEqual(obj.spec, old.spec));
    },
    validateUpdate: validateShootUpdate,
  },
  verbs: ['get', 'update', 'patch'],
};

function conditionColumn(name: string, type: string): TableColumn<Shoot> {
  return {
    name,
    type: 'string',
    priority: 1,
    description: `Status of the ${type} condition.`,
    cell: (shoot) => getCondition(shoot.status?.conditions ?? [], type)?.status ?? '<unknown>',
  };
}

const shootColumns: TableColumn<Shoot>[] = [
  { name: 'CLOUDPROFILE', type: 'string', cell: (shoot) => shootCloudProfileName(shoot) ?? '' },
  { name: 'PROVIDER', type: 'string', cell: (shoot) => shoot.spec.provider?.type ?? '' },
  { name: 'REGION', type: 'string', cell: (shoot) => shoot.spec.region ?? '' },
  {
    name: 'SEED',
    type: 'string',
    description: 'The seed the control plane is assigned to (spec.seedName).',
    cell: (shoot) => shootSpecSeedName(shoot) ?? '<none>',
  },
  { name: 'K8S VERSION', type: 'string', cell: (shoot) => shoot.spec.kubernetes?.version ?? '' },
  { name: 'HIBERNATION', type: 'string', cell: shootHibernationColumn },
  { name: 'LAST OPERATION', type: 'string', cell: formatLastOperation },
  {
    name: 'STATUS',
    type: 'string',
    description: 'healthy, progressing, unhealthy or unknown.',
    cell: shootHealthStatus,
  },
  {
    name: 'STATUS SEED',
    type: 'string',
    priority: 1,
    description: 'The seed the control plane last ran on (status.seedName).',
    cell: (shoot) => shootStatusSeedName(shoot) ?? '<none>',
  },
  { name: 'PURPOSE', type: 'string', priority: 1, cell: (shoot) => shoot.spec.purpose ?? '<none>' },
  conditionColumn('APISERVER', ShootConditionType.APIServerAvailable),
  conditionColumn('CONTROL', ShootConditionType.ControlPlaneHealthy),
  conditionColumn('OBSERVABILITY', ShootConditionType.ObservabilityComponentsHealthy),
  conditionColumn('NODES', ShootConditionType.EveryNodeReady),
  conditionColumn('SYSTEM', ShootConditionType.SystemComponentsHealthy),
  ageColumn,
];

export const shootDefinition: ResourceDefinition = {
  ...shootResource,
  ...gardenSchemas.Shoot,
  listKind: 'ShootList',
  singular: 'shoot',
  nameRule: 'label',
  strategy: shootStrategy,
  subresources: [shootStatusSubresource, shootBindingSubresource],
  hasStatus: true,
  // Gardener's patch strategies: tolerations by key, conditions and constraints by type,
  // advertised addresses by name; the worker pools (no strategy) are atomic.
  fieldTypes: {
    'spec.tolerations': { mapKeys: ['key'] },
    ...conditionsByType,
    'status.constraints': { mapKeys: ['type'] },
    'status.advertisedAddresses': { mapKeys: ['name'] },
  },
  columns: kindColumns(shootResource, shootColumns),
  selectableFields: kindFields(shootResource, {
    'spec.seedName': (shoot) => shootSpecSeedName(shoot) ?? '',
    'status.seedName': (shoot) => shootStatusSeedName(shoot) ?? '',
    'spec.cloudProfileName': (shoot) => shoot.spec.cloudProfileName ?? '',
    'spec.cloudProfile.name': (shoot) => shoot.spec.cloudProfile?.name ?? '',
  }),
};
