/**
 * Infrastructure (extensions.gardener.cloud/v1alpha1, namespaced): the shoot's network and
 * other provider resources the workers live in. They outlive a control-plane migration: the
 * Migrate saves what the controller cannot rebuild in `status.state` and deletes nothing outside.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn } from '../core/common.js';
import { pathString } from '../core-gardener/common.js';
import type { KubeObject } from '../meta.js';
import { optionalString } from '../validation.js';
import {
  EXTENSIONS_GROUP,
  EXTENSIONS_VERSION,
  type ExtensionKindOptions,
  extensionSelectableFields,
  extensionStatusSubresource,
  extensionStrategy,
  lastOperationStateColumn,
  regionColumn,
  typeColumn,
} from './common.js';
import { requiredString, validateSecretReference, validateStringList } from './field-validation.js';

/** `spec.sshPublicKey` (base64, as Go serialises []byte), undefined when unset. */
export function infrastructureSshPublicKey(infra: KubeObject): string | undefined {
  return pathString(infra, 'spec.sshPublicKey') || undefined;
}

const options: ExtensionKindOptions = {
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

export const infrastructureResource: ResourceDefinition = {
  group: EXTENSIONS_GROUP,
  version: EXTENSIONS_VERSION,
  kind: 'Infrastructure',
  listKind: 'InfrastructureList',
  plural: 'infrastructures',
  singular: 'infrastructure',
  shortNames: ['infra'],
  namespaced: true,
  strategy: extensionStrategy(options),
  subresources: [extensionStatusSubresource(options)],
  hasStatus: true,
  columns: [typeColumn, regionColumn, lastOperationStateColumn('STATUS'), ageColumn],
  selectableFields: extensionSelectableFields,
};
