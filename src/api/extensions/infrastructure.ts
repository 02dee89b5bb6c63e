/**
 * Infrastructure (extensions.gardener.cloud/v1alpha1, namespaced): the shoot's network and
 * other provider resources the workers live in. They outlive a control-plane migration: the
 * Migrate saves what the controller cannot rebuild in `status.state` and deletes nothing outside.
 */
import { aString, listOf, optional } from '../kind-guard.js';
import { optionalString } from '../validation.js';
import {
  type ExtensionObject,
  type ExtensionStatus,
  type ExtensionValidation,
  extensionKind,
  PROVIDER_SPEC,
  type ProviderSpec,
} from './common.js';
import { requiredString, validateSecretReference, validateStringList } from './field-validation.js';

export interface InfrastructureSpec extends ProviderSpec {
  /** The public key machines accept for SSH (base64, as Go serialises []byte). */
  sshPublicKey?: string;
}

export interface InfrastructureStatus extends ExtensionStatus {
  /** The CIDR of the nodes' network the provider made. */
  nodesCIDR?: string;
  /** Where the shoot's traffic leaves the provider's network. */
  egressCIDRs?: string[];
}

export type Infrastructure = ExtensionObject<InfrastructureSpec, InfrastructureStatus>;

/**
 * The guard (whether an object is an Infrastructure with the fields above, of their types) and the
 * reference that carries it, so that clients read checked objects.
 */
export const { is: isInfrastructure, resource: infrastructureResource } = extensionKind<Infrastructure>(
  { kind: 'Infrastructure', plural: 'infrastructures', namespaced: true },
  {
    spec: { ...PROVIDER_SPEC, sshPublicKey: optional(aString) },
    status: { nodesCIDR: optional(aString), egressCIDRs: optional(listOf(aString)) },
  },
);

/** What Infrastructure adds to the validation of every extension kind. */
export const infrastructureValidation: ExtensionValidation = {
  validateSpec: (spec) => [
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalString(spec.sshPublicKey, 'spec.sshPublicKey'),
  ],
  immutable: ['region'],
  validateStatus: (status) => [
    ...optionalString(status.nodesCIDR, 'status.nodesCIDR'),
    ...validateStringList(status.egressCIDRs, 'status.egressCIDRs'),
  ],
};
