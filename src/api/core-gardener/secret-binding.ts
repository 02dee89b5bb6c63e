/**
 * SecretBinding (core.gardener.cloud/v1beta1, namespaced, in a project namespace): lets the
 * project's shoots use a provider Secret (`secretRef`, possibly in another namespace) for the
 * infrastructure of `provider.type`. Like Gardener's, its fields are top level (no spec); a shoot
 * names it in `spec.secretBindingName`. Its successor is the CredentialsBinding
 * (src/api/security-gardener/credentials-binding.ts); both share the checks below.
 */
import { FieldError } from '../errors.js';
import { aString, listOf, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { semanticEqual, validateObjectMetaName } from '../validation.js';
import { gardenerKind } from './common.js';

/** A reference to an object by namespace and name (Quotas, the Secret). */
export interface NamespacedObjectReference {
  name: string;
  namespace?: string;
}

/** What SecretBinding and CredentialsBinding share: the provider type and the project's quotas. */
export interface ProviderBinding extends KubeObject {
  /** The provider type the credentials are for; shoots of another type cannot use the binding. */
  provider?: { type: string };
  quotas?: NamespacedObjectReference[];
}

export interface SecretBinding extends ProviderBinding {
  secretRef: NamespacedObjectReference;
}

const aReference = shape<NamespacedObjectReference>({ name: aString, namespace: optional(aString) });
/** The checks of the fields both bindings share. */
export const providerBindingFields = {
  provider: optional(shape({ type: aString })),
  quotas: optional(listOf(aReference)),
};

/** The guard and reference of SecretBinding. */
export const { is: isSecretBinding, resource: secretBindingResource } = gardenerKind<SecretBinding>(
  { kind: 'SecretBinding', plural: 'secretbindings', namespaced: true },
  { secretRef: aReference, ...providerBindingFields },
);

/** `provider.type`, split at commas as Gardener allows (`aws,gcp`); empty when unset. */
export function bindingProviderTypes(binding: ProviderBinding): string[] {
  return (binding.provider?.type ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** A reference with a name (a DNS subdomain) and, when `namespaceRequired`, a namespace. */
export function validateObjectReference(ref: unknown, path: string, namespaceRequired: boolean): FieldError[] {
  if (!isRecord(ref)) return [FieldError.required(path)];
  const errs: FieldError[] = [];
  if (typeof ref.name !== 'string' || ref.name === '') errs.push(FieldError.required(`${path}.name`));
  else errs.push(...validateObjectMetaName(ref.name, 'subdomain', `${path}.name`));
  if (ref.namespace === undefined || ref.namespace === null || ref.namespace === '') {
    if (namespaceRequired) errs.push(FieldError.required(`${path}.namespace`));
  } else {
    errs.push(...validateObjectMetaName(ref.namespace, 'label', `${path}.namespace`));
  }
  return errs;
}

/** `provider.type` required (Gardener requires it since 1.71) and `quotas` references. */
export function validateProviderBinding(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provider = obj.provider;
  if (!isRecord(provider) || typeof provider.type !== 'string' || provider.type === '') {
    errs.push(FieldError.required('provider.type', 'must specify a provider type'));
  }
  const quotas = obj.quotas;
  if (quotas !== undefined && quotas !== null) {
    if (!Array.isArray(quotas)) errs.push(FieldError.typeInvalid('quotas', quotas, 'must be a list'));
    else {
      quotas.forEach((quota: unknown, i: number) => {
        errs.push(...validateObjectReference(quota, `quotas[${i}]`, false));
      });
    }
  }
  return errs;
}

/**
 * What neither binding lets change once created: the credentials it points at (`refField`) and
 * its provider type (Gardener: both immutable).
 */
export function validateProviderBindingUpdate(obj: KubeObject, old: KubeObject, refField: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!semanticEqual(obj[refField], old[refField])) errs.push(FieldError.immutable(refField, obj[refField]));
  const type = (o: KubeObject) => (isRecord(o.provider) ? o.provider.type : undefined);
  if (type(old) !== undefined && !semanticEqual(type(obj), type(old))) {
    errs.push(FieldError.immutable('provider', obj.provider));
  }
  return errs;
}

/** A SecretBinding's validation on create. */
export function validateSecretBinding(obj: KubeObject): FieldError[] {
  return [...validateObjectReference(obj.secretRef, 'secretRef', false), ...validateProviderBinding(obj)];
}

/** On update: the create checks, and neither the Secret nor the provider changes. */
export function validateSecretBindingUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateSecretBinding(obj), ...validateProviderBindingUpdate(obj, old, 'secretRef')];
}

/** Defaults `secretRef.namespace` to the binding's own namespace. Mutates. */
export function defaultSecretBinding(obj: KubeObject): void {
  const ref = obj.secretRef;
  if (isRecord(ref) && !ref.namespace && obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
}
