/**
 * ControlPlane (extensions.gardener.cloud/v1alpha1, namespaced): the provider-specific parts of
 * the shoot's control plane. `purpose` is `normal` (default) or `exposure`; `type`, `region` and
 * `purpose` are immutable.
 */
import { anObject, oneOf, optional } from '../kind-guard.js';
import { optionalObject } from '../validation.js';
import {
  type ExtensionObject,
  type ExtensionValidation,
  extensionKind,
  PROVIDER_SPEC,
  type ProviderSpec,
} from './common.js';
import { optionalEnum, requiredString, validateSecretReference } from './field-validation.js';

export const CONTROL_PLANE_PURPOSES = ['normal', 'exposure'] as const;
export type ControlPlanePurpose = (typeof CONTROL_PLANE_PURPOSES)[number];

export interface ControlPlaneSpec extends ProviderSpec {
  /** `normal` (the default) or `exposure` (the parts that expose the control plane). */
  purpose?: ControlPlanePurpose;
  /** The Infrastructure's `status.providerStatus`, handed on by the gardenlet. */
  infrastructureProviderStatus?: Record<string, unknown>;
}

export type ControlPlane = ExtensionObject<ControlPlaneSpec>;

/**
 * The guard (whether an object is a ControlPlane with the fields above, of their types) and the
 * reference that carries it, so that clients read checked objects.
 */
export const { is: isControlPlane, resource: controlPlaneResource } = extensionKind<ControlPlane>(
  { kind: 'ControlPlane', plural: 'controlplanes', namespaced: true },
  {
    spec: {
      ...PROVIDER_SPEC,
      purpose: optional(oneOf(CONTROL_PLANE_PURPOSES)),
      infrastructureProviderStatus: optional(anObject),
    },
  },
);

/** `spec.purpose`, `normal` when unset. */
export function controlPlanePurpose(cp: ControlPlane): ControlPlanePurpose {
  return cp.spec.purpose || 'normal';
}

/** What ControlPlane adds to the validation of every extension kind. */
export const controlPlaneValidation: ExtensionValidation = {
  validateSpec: (spec) => [
    ...optionalEnum(spec.purpose, 'spec.purpose', CONTROL_PLANE_PURPOSES),
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalObject(spec.infrastructureProviderStatus, 'spec.infrastructureProviderStatus'),
  ],
  immutable: ['purpose', 'region'],
};
