/**
 * Project (core.gardener.cloud/v1beta1, cluster-scoped): a tenant. Its shoots live in the
 * namespace `spec.namespace` (defaulted to `garden-<name>`), which the project controller
 * creates and labels; `status.phase` is Pending, Ready, Terminating or Failed.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import {
  immutableOnceSet,
  optionalArray,
  optionalObject,
  optionalString,
  validateObjectMetaName,
} from '../validation.js';
import { GARDENER_GROUP, GARDENER_VERSION, pathString } from './common.js';

export const projectResource = resourceRef({
  group: GARDENER_GROUP,
  version: GARDENER_VERSION,
  kind: 'Project',
  plural: 'projects',
  namespaced: false,
});

/** Prefix of the default project namespace. */
export const PROJECT_NAMESPACE_PREFIX = 'garden-';
/** Labels Gardener puts on a project namespace. */
export const PROJECT_ROLE_LABEL = 'gardener.cloud/role';
export const PROJECT_NAME_LABEL = 'project.gardener.cloud/name';

export type ProjectPhase = 'Pending' | 'Ready' | 'Terminating' | 'Failed';

/** `spec.namespace`, undefined when unset. */
export function projectNamespace(project: KubeObject): string | undefined {
  return pathString(project, 'spec.namespace') || undefined;
}

/** `status.phase`, undefined when unset. */
export function projectPhase(project: KubeObject): string | undefined {
  return pathString(project, 'status.phase') || undefined;
}

function validateSubject(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) return [FieldError.typeInvalid(path, value, 'must be an object')];
  const errs = [...optionalString(value.kind, `${path}.kind`), ...optionalString(value.apiGroup, `${path}.apiGroup`)];
  if (typeof value.name !== 'string' || value.name === '') errs.push(FieldError.required(`${path}.name`));
  return errs;
}

/** Validates the spec fields Transplant models; unknown fields are left alone. */
export function validateProjectSpec(spec: unknown): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isRecord(spec)) return [FieldError.typeInvalid('spec', spec, 'must be an object')];
  const errs: FieldError[] = [];
  if (spec.namespace !== undefined && spec.namespace !== null) {
    errs.push(...validateObjectMetaName(spec.namespace, 'label', 'spec.namespace'));
  }
  errs.push(...validateSubject(spec.owner, 'spec.owner'));
  errs.push(...validateSubject(spec.createdBy, 'spec.createdBy'));
  errs.push(...optionalArray(spec.members, 'spec.members'));
  errs.push(...optionalString(spec.description, 'spec.description'));
  errs.push(...optionalString(spec.purpose, 'spec.purpose'));
  errs.push(...optionalObject(spec.tolerations, 'spec.tolerations'));
  return errs;
}

/** A Project's validation on create. */
export function validateProject(obj: KubeObject): FieldError[] {
  return validateProjectSpec(obj.spec);
}

/** `validateProjectSpec`, and `spec.namespace` never changes once set. */
export function validateProjectUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [
    ...validateProjectSpec(obj.spec),
    ...immutableOnceSet(projectNamespace(obj), projectNamespace(old), 'spec.namespace'),
  ];
}

/** Defaults `spec.namespace` to `garden-<name>`. Mutates. */
export function defaultProject(obj: KubeObject): void {
  if (!isRecord(obj.spec)) obj.spec = {};
  const spec = obj.spec as Record<string, unknown>;
  const name = obj.metadata.name;
  if ((spec.namespace === undefined || spec.namespace === null || spec.namespace === '') && name) {
    spec.namespace = `${PROJECT_NAMESPACE_PREFIX}${name}`;
  }
}
