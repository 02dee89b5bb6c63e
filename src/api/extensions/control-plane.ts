/**
 * ControlPlane (extensions.gardener.cloud/v1alpha1, namespaced): the provider-specific parts of
 * the shoot's control plane. `purpose` is `normal` (default) or `exposure`; `type`, `region` and
 * `purpose` are immutable.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../core/common.js';
import { pathString } from '../core-gardener/common.js';
import type { KubeObject } from '../meta.js';
import { optionalObject } from '../validation.js';
import {
  EXTENSIONS_GROUP,
  EXTENSIONS_VERSION,
  type ExtensionKindOptions,
  extensionSelectableFields,
  extensionStatusSubresource,
  extensionStrategy,
  lastOperationStateColumn,
  typeColumn,
} from './common.js';
import { optionalEnum, requiredString, validateSecretReference } from './field-validation.js';

export const CONTROL_PLANE_PURPOSES = ['normal', 'exposure'] as const;
export type ControlPlanePurpose = (typeof CONTROL_PLANE_PURPOSES)[number];

/** `spec.purpose`, `normal` when unset. */
export function controlPlanePurpose(cp: KubeObject): string {
  return pathString(cp, 'spec.purpose') || 'normal';
}

const options: ExtensionKindOptions = {
  validateSpec: (spec) => [
    ...optionalEnum(spec.purpose, 'spec.purpose', CONTROL_PLANE_PURPOSES),
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalObject(spec.infrastructureProviderStatus, 'spec.infrastructureProviderStatus'),
  ],
  immutable: ['spec.purpose', 'spec.region'],
};

export const controlPlaneResource: ResourceDefinition = {
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'ControlPlane',
  listKind: 'ControlPlaneList',
  plural: 'controlplanes',
  singular: 'controlplane',
  shortNames: ['cp'],
  namespaced: true,
  strategy: extensionStrategy(options),
  subresources: [extensionStatusSubresource(options)],
  hasStatus: true,
  columns: [
    typeColumn,
    {
      name: 'PURPOSE',
      type: 'string',
      description: 'Purpose of control plane resource.',
      cell: (obj) => pathString(obj, 'spec.purpose') || null,
    },
    lastOperationStateColumn('STATUS'),
    ageColumn,
  ],
  selectableFields: extensionSelectableFields,
};
