/**
 * CredentialsBinding (security.gardener.cloud/v1alpha1, namespaced, in a project namespace): the
 * successor of the SecretBinding. `credentialsRef` names a Secret (`v1`) or a WorkloadIdentity
 * (`security.gardener.cloud/v1alpha1`) by apiVersion, kind, namespace and name; a shoot names the
 * binding in `spec.credentialsBindingName`. Top-level fields, as Gardener's.
 */

import {
  type ProviderBinding,
  providerBindingFields,
  validateObjectReference,
  validateProviderBinding,
  validateProviderBindingUpdate,
} from '../core-gardener/secret-binding.js';
import { FieldError } from '../errors.js';
import { aString, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { typedKind } from '../resource-ref.js';

export const SECURITY_GARDENER_GROUP = 'security.gardener.cloud';
export const SECURITY_GARDENER_VERSION = 'v1alpha1';

/** What a CredentialsBinding may point at (Gardener's validation). */
export const CREDENTIALS_KINDS = Object.freeze(['v1.Secret', 'security.gardener.cloud/v1alpha1.WorkloadIdentity']);

export interface CredentialsReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

export interface CredentialsBinding extends ProviderBinding {
  credentialsRef: CredentialsReference;
  provider: { type: string };
}

/** The guard and reference of CredentialsBinding. */
export const { is: isCredentialsBinding, resource: credentialsBindingResource } = typedKind<CredentialsBinding>(
  {
    group: SECURITY_GARDENER_GROUP,
    version: SECURITY_GARDENER_VERSION,
    kind: 'CredentialsBinding',
    plural: 'credentialsbindings',
    namespaced: true,
  },
  {
    credentialsRef: shape<CredentialsReference>({
      apiVersion: aString,
      kind: aString,
      name: aString,
      namespace: aString,
    }),
    ...providerBindingFields,
  },
);

/** A CredentialsBinding's validation on create. */
export function validateCredentialsBinding(obj: KubeObject): FieldError[] {
  const ref = obj.credentialsRef;
  const errs = validateObjectReference(ref, 'credentialsRef', true);
  if (isRecord(ref)) {
    const target = `${String(ref.apiVersion)}.${String(ref.kind)}`;
    if (!CREDENTIALS_KINDS.includes(target)) {
      errs.push(FieldError.notSupported('credentialsRef', target, CREDENTIALS_KINDS));
    }
  }
  return [...errs, ...validateProviderBinding(obj)];
}

/** On update: the create checks, and neither the credentials nor the provider changes. */
export function validateCredentialsBindingUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateCredentialsBinding(obj), ...validateProviderBindingUpdate(obj, old, 'credentialsRef')];
}
