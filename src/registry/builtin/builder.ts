/**
 * One generic builder for the definitions of the built-in kinds (k8s registry's per-kind
 * storage, here data plus a behaviour): from a row of the table (src/api/builtin) and what is
 * special about the kind — defaults, checks, columns — it makes the ResourceDefinition the
 * generic store serves. Every kind's writes are checked against its OpenAPI schema
 * (schema-validation.ts) before its own checks run; defaults apply on create and on every
 * update, as Kubernetes defaults each decoded object, but only to an object the schema accepts
 * (a malformed field is reported, never defaulted away).
 */
import type { BuiltinResource } from '../../api/builtin/index.js';
import { listFacts } from '../../api/builtin/list-facts.js';
import type { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { NameRule } from '../../api/validation.js';
import type {
  DiscoverySubresource,
  ResourceDefinition,
  Strategy,
  SubresourceDefinition,
  TableColumn,
} from '../../apiserver/types.js';
import { ageColumn } from '../columns.js';
import { statusSubresource } from '../strategies.js';
import { declaringType, kindType, pruneUnknownFields } from './model-types.js';
import { kindSchema } from './openapi-schema.js';
import { schemaErrors } from './schema-validation.js';

/** What is special about a kind; everything is optional. */
export interface KindBehaviour {
  /** Kubernetes' defaults, applied on create and update to an object its schema accepts; mutates. */
  defaults?(obj: KubeObject): void;
  /** A new object's status: the fields Go always serialises, zero-valued (`replicas: 0`). */
  initialStatus?: Record<string, unknown>;
  /** On create, after the defaults: generated fields and the initial status; mutates. */
  prepareForCreate?(obj: KubeObject): void;
  /** On update, before the defaults: what the server keeps from the stored object; mutates. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Checks beyond the schema, on create (and on update unless `validateUpdate` is given); pure. */
  validate?(obj: KubeObject): FieldError[];
  /** Checks of an update, immutable fields included; pure. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Columns after NAME (AGE is appended unless placed, or `omitAgeColumn`). */
  columns?: TableColumn[];
  omitAgeColumn?: boolean;
  selectableFields?: ResourceDefinition['selectableFields'];
  nameRule?: NameRule;
  /** For a version other than the storage version: how its objects are converted (autoscaling/v1). */
  conversion?: ResourceDefinition['conversion'];
  /** Another resource whose place the objects are kept in (events.k8s.io Events are core Events). */
  storageResource?: ResourceDefinition['storageResource'];
  /** Strategy-backed subresources besides `status` (e.g. pods/binding, certificatesigningrequests/approval). */
  subresources?: SubresourceDefinition[];
  /** When deletion marks an object with a deletionTimestamp (a CRD turns Terminating); mutates. */
  prepareForDelete?(obj: KubeObject): void;
  /** A finalizer put on every deleted object, for the cleanup a controller does first. */
  finalizerOnDelete?: string;
  /** Graceful deletion (pods): see `Strategy.gracePeriodSeconds`. */
  gracePeriodSeconds?: Strategy['gracePeriodSeconds'];
}

/**
 * The subresources served for each resource beyond `status` and `scale` (which are served
 * wherever the table has them); the table's others — pods' exec, attach, portforward, proxy and
 * ephemeralcontainers, services/proxy, serviceaccounts/token — need a kubelet or a token issuer
 * and are not advertised.
 */
const servedSubresources: Readonly<Record<string, readonly string[]>> = {
  pods: ['binding', 'eviction', 'log'],
  nodes: ['proxy'],
  namespaces: ['finalize'],
  certificatesigningrequests: ['approval'],
};

/** The table's subresources of `row` that this server serves, as discovery lists them. */
export function servedSubresourcesOf(row: BuiltinResource): DiscoverySubresource[] {
  const extra = servedSubresources[row.plural] ?? [];
  return row.subresources
    .filter((s) => s.name === 'status' || s.name === 'scale' || extra.includes(s.name))
    .map((s) => ({ name: s.name, verbs: [...s.verbs], ...(s.kind ? { kind: { ...s.kind } } : {}) }));
}

/** The definition of a stored built-in resource. */
export function builtinDefinition(row: BuiltinResource, behaviour: KindBehaviour = {}): ResourceDefinition {
  const schema = (obj: KubeObject) => schemaErrors(row, obj);
  const hasStatus = row.subresources.some((s) => s.name === 'status');
  const strategy: Strategy = {
    prepareForCreate(obj) {
      if (schema(obj).length > 0) return;
      behaviour.defaults?.(obj);
      // Kubernetes' types always carry their status, zero-valued: a new object shows `status: {}`.
      if (hasStatus) obj.status = structuredClone(behaviour.initialStatus ?? {});
      behaviour.prepareForCreate?.(obj);
    },
    prepareForUpdate(obj, old) {
      if (schema(obj).length > 0) return;
      behaviour.prepareForUpdate?.(obj, old);
      behaviour.defaults?.(obj);
    },
    validate(obj) {
      const errors = schema(obj);
      return errors.length > 0 ? errors : (behaviour.validate?.(obj) ?? []);
    },
    validateUpdate(obj, old) {
      const errors = schema(obj);
      if (errors.length > 0) return errors;
      return behaviour.validateUpdate?.(obj, old) ?? behaviour.validate?.(obj) ?? [];
    },
    ...(behaviour.prepareForDelete ? { prepareForDelete: behaviour.prepareForDelete } : {}),
    ...(behaviour.gracePeriodSeconds ? { gracePeriodSeconds: behaviour.gracePeriodSeconds } : {}),
  };
  const subresources = [...(behaviour.subresources ?? [])];
  if (hasStatus) subresources.push(statusSubresource(undefined, schema));
  return {
    group: row.group,
    version: row.version,
    kind: row.kind,
    plural: row.plural,
    namespaced: row.namespaced,
    listKind: `${row.kind}List`,
    singular: row.singular,
    shortNames: [...row.shortNames],
    categories: [...row.categories],
    verbs: [...row.verbs],
    strategy,
    subresources,
    hasStatus,
    discoverySubresources: servedSubresourcesOf(row),
    ...modelFacts(row),
    ...(behaviour.nameRule ? { nameRule: behaviour.nameRule } : {}),
    ...(behaviour.columns
      ? { columns: behaviour.omitAgeColumn ? [...behaviour.columns] : withAge(behaviour.columns) }
      : {}),
    ...(behaviour.omitAgeColumn ? { omitAgeColumn: true } : {}),
    ...(behaviour.selectableFields ? { selectableFields: behaviour.selectableFields } : {}),
    ...(behaviour.conversion ? { conversion: behaviour.conversion } : {}),
    ...(behaviour.storageResource ? { storageResource: behaviour.storageResource } : {}),
    ...(behaviour.finalizerOnDelete ? { finalizerOnDelete: behaviour.finalizerOnDelete } : {}),
  };
}

/** AGE before the -o wide columns, as kubectl prints it, unless the kind placed it already. */
function withAge(columns: readonly TableColumn[]): TableColumn[] {
  if (columns.some((c) => c.name.toLowerCase() === 'age')) return [...columns];
  const firstWide = columns.findIndex((c) => (c.priority ?? 0) > 0);
  if (firstWide < 0) return [...columns];
  return [...columns.slice(0, firstWide), ageColumn, ...columns.slice(firstWide)];
}

/**
 * A resource that already has a hand-written definition (the core kinds and RBAC every API
 * server here serves) with the table's discovery facts: verbs, short names, categories and the
 * subresources served.
 */
export function withTableFacts(row: BuiltinResource, def: ResourceDefinition): ResourceDefinition {
  return {
    ...def,
    shortNames: [...row.shortNames],
    categories: [...row.categories],
    verbs: [...row.verbs],
    discoverySubresources: servedSubresourcesOf(row),
    ...modelFacts(row),
  };
}

/**
 * What kubernetes-models' declarations give every built-in kind: unknown fields dropped, the full
 * OpenAPI schema, and which type declares a list (to find how it merges, list-facts.ts).
 */
function modelFacts(
  row: BuiltinResource,
): Pick<ResourceDefinition, 'pruneUnknownFields' | 'openApiSchema' | 'listFact'> {
  return {
    pruneUnknownFields: (obj) => pruneUnknownFields(obj, kindType(row)),
    openApiSchema: () => kindSchema(kindType(row)),
    listFact(path) {
      const at = declaringType(kindType(row), path);
      return at ? listFacts[at.id.replace(/^kubernetes-models\./, '')]?.[at.field] : undefined;
    },
  };
}
