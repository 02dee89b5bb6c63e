/**
 * Namespace's definition (k8s `pkg/registry/core/namespace`): created Active with the
 * `kubernetes` spec finalizer, marked Terminating when deleted, its status written through
 * `status` and its spec finalizers through `finalize`.
 */
import {
  namespaceFinalizer,
  namespacePhase,
  namespaceResource,
  namespaceSpecFinalizers,
  validateNamespaceSpec,
  validateNamespaceStatus,
} from '../../api/core/namespace.js';
import { isRecord } from '../../api/meta.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { keepOldStatus, statusSubresource } from '../strategies.js';

export const namespaceDefinition: ResourceDefinition = {
  ...namespaceResource,
  listKind: 'NamespaceList',
  singular: 'namespace',
  shortNames: ['ns'],
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
