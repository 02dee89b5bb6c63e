/** ServiceAccount (v1, namespaced): an identity for processes; no status. */
import { FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalArray } from '../validation.js';

export const serviceAccountResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  namespaced: true,
});

/** `secrets` and `imagePullSecrets` lists, `automountServiceAccountToken` a boolean. */
export function validateServiceAccount(obj: KubeObject): FieldError[] {
  const errs = [...optionalArray(obj.secrets, 'secrets'), ...optionalArray(obj.imagePullSecrets, 'imagePullSecrets')];
  const automount = obj.automountServiceAccountToken;
  if (automount !== undefined && automount !== null && typeof automount !== 'boolean') {
    errs.push(FieldError.typeInvalid('automountServiceAccountToken', automount, 'must be a boolean'));
  }
  return errs;
}
