/**
 * Project (core.gardener.cloud/v1beta1, cluster-scoped): a tenant. Its shoots live in the
 * namespace `spec.namespace` (defaulted to `garden-<name>`), which the project controller
 * creates and labels; `status.phase` is Pending, Ready, Terminating or Failed.
 */
import { FieldError } from '../errors.js';
import { aNumber, aString, listOf, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject, specOf } from '../meta.js';
import {
  immutableOnceSet,
  optionalArray,
  optionalObject,
  optionalString,
  validateObjectMetaName,
} from '../validation.js';
import { gardenerKind } from './common.js';

/** Prefix of the default project namespace. */
export const PROJECT_NAMESPACE_PREFIX = 'garden-';
/** Labels Gardener puts on a project namespace. */
export const PROJECT_ROLE_LABEL = 'gardener.cloud/role';
export const PROJECT_NAME_LABEL = 'project.gardener.cloud/name';

/** A member, owner or creator of a project (an rbac Subject). */
export interface ProjectSubject {
  /** User (default), Group or ServiceAccount. */
  kind?: string;
  name: string;
  /** The ServiceAccount's namespace; the project namespace when unset. */
  namespace?: string;
  apiGroup?: string;
}

export interface ProjectSpec {
  /** The project's namespace; defaulted to `garden-<name>` on create, never changed after. */
  namespace?: string;
  owner?: ProjectSubject;
  createdBy?: ProjectSubject;
  members?: ProjectSubject[];
}

export interface ProjectStatus {
  /** Pending, Ready, Terminating or Failed (the status subresource takes any string, as Gardener's). */
  phase?: string;
  observedGeneration?: number;
}

export interface Project extends KubeObject {
  spec?: ProjectSpec;
  status?: ProjectStatus;
}

const aSubject = shape<ProjectSubject>({
  kind: optional(aString),
  name: aString,
  namespace: optional(aString),
  apiGroup: optional(aString),
});

/**
 * The guard (whether an object is a Project with the fields above, of their types) and the
 * reference that carries it, so that clients read checked objects.
 */
export const { is: isProject, resource: projectResource } = gardenerKind<Project>(
  { kind: 'Project', plural: 'projects', namespaced: false },
  {
    spec: optional(
      shape<ProjectSpec>({
        namespace: optional(aString),
        owner: optional(aSubject),
        createdBy: optional(aSubject),
        members: optional(listOf(aSubject)),
      }),
    ),
    status: optional(shape<ProjectStatus>({ phase: optional(aString), observedGeneration: optional(aNumber) })),
  },
);

/** `spec.namespace`, else Gardener's default `garden-<name>` (what the project controller creates). */
export function projectNamespace(project: Project): string {
  return project.spec?.namespace || `${PROJECT_NAMESPACE_PREFIX}${project.metadata.name}`;
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
  // Each member as its reader (the ShootValidator's) expects it: a member whose name was an
  // object was stored, and every later Shoot of the landscape was a 500 (found by the API fuzzer).
  if (Array.isArray(spec.members)) {
    spec.members.forEach((member: unknown, i: number) => {
      errs.push(...validateSubject(member, `spec.members[${i}]`));
      if (isRecord(member)) errs.push(...optionalString(member.role, `spec.members[${i}].role`));
    });
  }
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
  const namespace = (o: KubeObject) => specOf(o)?.namespace || undefined;
  return [...validateProjectSpec(obj.spec), ...immutableOnceSet(namespace(obj), namespace(old), 'spec.namespace')];
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
