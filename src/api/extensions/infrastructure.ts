/**
 * Infrastructure (extensions.gardener.cloud/v1alpha1, namespaced): the shoot's network and
 * other provider resources the workers live in. They outlive a control-plane migration: the
 * Migrate saves what the controller cannot rebuild in `status.state` and deletes nothing outside.
 */
import { pathString } from '../core-gardener/common.js';
import type { KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalString } from '../validation.js';
import { EXTENSIONS_GROUP, EXTENSIONS_VERSION, type ExtensionValidation } from './common.js';
import { requiredString, validateSecretReference, validateStringList } from './field-validation.js';

export const infrastructureResource = resourceRef({
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'Infrastructure',
  plural: 'infrastructures',
  namespaced: true,
});

/** `spec.sshPublicKey` (base64, as Go serialises []byte), undefined when unset. */
export function infrastructureSshPublicKey(infra: KubeObject): string | undefined {
  return pathString(infra, 'spec.sshPublicKey') || undefined;
}

/** What Infrastructure adds to the validation of every extension kind. */
export const infrastructureValidation: ExtensionValidation = {
  validateSpec: (spec) => [
    ...requiredString(spec.region, 'spec.region'),
    ...validateSecretReference(spec.secretRef, 'spec.secretRef', true),
    ...optionalString(spec.sshPublicKey, 'spec.sshPublicKey'),
  ],
  immutable: ['spec.region'],
  validateStatus: (status) => [
    ...optionalString(status.nodesCIDR, 'status.nodesCIDR'),
    ...validateStringList(status.egressCIDRs, 'status.egressCIDRs'),
  ],
};
