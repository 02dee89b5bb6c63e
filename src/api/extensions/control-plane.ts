/**
 * ControlPlane (extensions.gardener.cloud/v1alpha1, namespaced): the provider-specific parts of
 * the shoot's control plane. `purpose` is `normal` (default) or `exposure`; `type`, `region` and
 * `purpose` are immutable.
 */
import { pathString } from '../core-gardener/common.js';
import type { KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalObject } from '../validation.js';
import { EXTENSIONS_GROUP, EXTENSIONS_VERSION, type ExtensionValidation } from './common.js';
import { optionalEnum, requiredString, validateSecretReference } from './field-validation.js';

export const controlPlaneResource = resourceRef({
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'ControlPlane',
  plural: 'controlplanes',
  namespaced: true,
});

export const CONTROL_PLANE_PURPOSES = ['normal', 'exposure'] as const;
export type ControlPlanePurpose = (typeof CONTROL_PLANE_PURPOSES)[number];

/** `spec.purpose`, `normal` when unset. */
export function controlPlanePurpose(cp: KubeObject): string {
  return pathString(cp, 'spec.purpose') || 'normal';
}

/** What ControlPlane adds to the validation of every extension kind. */
export const controlPlaneValidation: ExtensionValidation = {
  validateSpec: (spec) => [
    ...optionalEnum(spec.purpose, 'spec.purpose', CONTROL_PLANE_PURPOSES),
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalObject(spec.infrastructureProviderStatus, 'spec.infrastructureProviderStatus'),
  ],
  immutable: ['spec.purpose', 'spec.region'],
};
