/** ServiceAccount (v1, namespaced): an identity for processes; no status. */
import type { ResourceDefinition } from '../../apiserver/types.js';
import { FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { optionalArray } from '../validation.js';

function validateServiceAccount(obj: KubeObject): FieldError[] {
  const errs = [...optionalArray(obj.secrets, 'secrets'), ...optionalArray(obj.imagePullSecrets, 'imagePullSecrets')];
  const automount = obj.automountServiceAccountToken;
  if (automount !== undefined && automount !== null && typeof automount !== 'boolean') {
    errs.push(FieldError.typeInvalid('automountServiceAccountToken', automount, 'must be a boolean'));
  }
  return errs;
}

export const serviceAccountResource: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  listKind: 'ServiceAccountList',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  shortNames: ['sa'],
  namespaced: true,
  strategy: {
    validate: (obj) => validateServiceAccount(obj),
    validateUpdate: (obj) => validateServiceAccount(obj),
  },
  hasStatus: false,
  columns: [
    {
      name: 'SECRETS',
      type: 'integer',
      description: 'Number of secrets listed.',
      cell: (obj) => (Array.isArray(obj.secrets) ? obj.secrets.length : 0),
    },
  ],
};
