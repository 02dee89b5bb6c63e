/**
 * Namespace (v1, cluster-scoped). Created Active; the store marks it Terminating on deletion
 * through the status subresource. Names are RFC 1123 labels.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { optionalArray } from '../validation.js';
import { keepOldStatus, statusSubresource } from './common.js';

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

function validateNamespaceSpec(spec: unknown): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isRecord(spec)) return [FieldError.typeInvalid('spec', spec, 'must be an object')];
  return optionalArray(spec.finalizers, 'spec.finalizers');
}

function validateNamespaceStatus(ns: KubeObject): FieldError[] {
  const phase = isRecord(ns.status) ? ns.status.phase : undefined;
  if (phase === undefined || phase === 'Active' || phase === 'Terminating') return [];
  return [FieldError.notSupported('status.phase', phase, ['Active', 'Terminating'])];
}

export const namespaceResource: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  nameRule: 'label',
  strategy: {
    prepareForCreate(obj) {
      obj.status = { phase: 'Active' };
      // As in Kubernetes: the namespace controller empties a deleted namespace, then removes this.
      const spec = isRecord(obj.spec) ? obj.spec : {};
      if (!Array.isArray(spec.finalizers)) spec.finalizers = [namespaceFinalizer];
      obj.spec = spec;
    },
    prepareForDelete(obj) {
      obj.status = { ...(isRecord(obj.status) ? obj.status : {}), phase: 'Terminating' };
    },
    prepareForUpdate(obj, old) {
      keepOldStatus(obj, old);
    },
    validate: (obj) => validateNamespaceSpec(obj.spec),
    validateUpdate: (obj) => validateNamespaceSpec(obj.spec),
  },
  subresources: [
    statusSubresource(undefined, validateNamespaceStatus),
    {
      // PUT /api/v1/namespaces/<name>/finalize changes spec.finalizers only.
      name: 'finalize',
      verbs: ['update'],
      strategy: {
        prepareForUpdate(obj, old) {
          const finalizers = isRecord(obj.spec) ? obj.spec.finalizers : undefined;
          for (const key of Object.keys(obj)) delete obj[key];
          Object.assign(obj, structuredClone(old));
          obj.spec = {
            ...(isRecord(old.spec) ? old.spec : {}),
            finalizers: Array.isArray(finalizers) ? finalizers : [],
          };
        },
        validateUpdate: (obj) => validateNamespaceSpec(obj.spec),
      },
    },
  ],
  extraFinalizers: namespaceSpecFinalizers,
  hasStatus: true,
  columns: [{ name: 'STATUS', type: 'string', description: 'The phase of the namespace.', cell: namespacePhase }],
  selectableFields: {
    'status.phase': (obj) => namespacePhase(obj),
  },
};
