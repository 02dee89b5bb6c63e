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
    },
    prepareForUpdate(obj, old) {
      keepOldStatus(obj, old);
    },
    validate: (obj) => validateNamespaceSpec(obj.spec),
    validateUpdate: (obj) => validateNamespaceSpec(obj.spec),
  },
  subresources: [statusSubresource(undefined, validateNamespaceStatus)],
  hasStatus: true,
  columns: [{ name: 'STATUS', type: 'string', description: 'The phase of the namespace.', cell: namespacePhase }],
  selectableFields: {
    'status.phase': (obj) => namespacePhase(obj),
  },
};
