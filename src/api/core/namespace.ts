/**
 * Namespace (v1, cluster-scoped). Created Active; the store marks it Terminating on deletion
 * through the status subresource. Names are RFC 1123 labels.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalArray } from '../validation.js';

export const namespaceResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
});

export type NamespacePhase = 'Active' | 'Terminating';

/** The spec finalizer the namespace controller owns. */
export const namespaceFinalizer = 'kubernetes';

/** `spec.finalizers`: what must finish before a deleted namespace goes. */
export function namespaceSpecFinalizers(ns: KubeObject): string[] {
  const finalizers = isRecord(ns.spec) ? ns.spec.finalizers : undefined;
  return Array.isArray(finalizers) ? finalizers.filter((f): f is string => typeof f === 'string') : [];
}

/** `status.phase`, Active when unset. */
export function namespacePhase(ns: KubeObject): NamespacePhase | string {
  const phase = isRecord(ns.status) ? ns.status.phase : undefined;
  return typeof phase === 'string' && phase !== '' ? phase : 'Active';
}

/** `spec.finalizers`, when given, is a list. */
export function validateNamespaceSpec(spec: unknown): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isRecord(spec)) return [FieldError.typeInvalid('spec', spec, 'must be an object')];
  return optionalArray(spec.finalizers, 'spec.finalizers');
}

/** `status.phase` is Active or Terminating when set. */
export function validateNamespaceStatus(ns: KubeObject): FieldError[] {
  const phase = isRecord(ns.status) ? ns.status.phase : undefined;
  if (phase === undefined || phase === 'Active' || phase === 'Terminating') return [];
  return [FieldError.notSupported('status.phase', phase, ['Active', 'Terminating'])];
}
