/**
 * Generic ObjectMeta validation the store applies to every kind (k8s ValidateObjectMeta), with
 * the name rule the kind declares.
 */
import type { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation.js';
import type { ResourceDefinition } from '../types.js';

export function validateMetaOnCreate(obj: KubeObject, def: ResourceDefinition): FieldError[] {
  return validateObjectMeta(obj.metadata, { namespaced: def.namespaced, name: def.nameRule });
}

export function validateMetaOnUpdate(obj: KubeObject, old: KubeObject, def: ResourceDefinition): FieldError[] {
  return validateObjectMetaUpdate(obj.metadata, old.metadata, { namespaced: def.namespaced, name: def.nameRule });
}
