/**
 * The API a CustomResourceDefinition creates (Kubernetes' apiextensions crdHandler): one
 * resource definition per served version, served by the generic store like any built-in kind,
 * and the `scale` handlers. Each version's structural schema prunes unknown fields, defaults
 * (on writes and on reads from etcd), validates (types, formats, patterns, list types, CEL
 * rules) and tells server-side apply how lists merge; `None` conversion rewrites apiVersion,
 * objects being kept under the storage version, at `/registry/<group>/<plural>/…`.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type CrdSpec,
  type CrdVersion,
  crdSpecOf,
  type JSONSchemaProps,
  type ScaleSubresource,
  storageVersionOf,
} from '../../api/apiextensions/crd.js';
import { crudVerbs } from '../../api/builtin/resource.js';
import { type FieldError, methodNotAllowed } from '../../api/errors.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { CustomHandler } from '../../apiserver/custom-handler.js';
import { objectRootProperties } from '../../apiserver/openapi.js';
import type { ResourceDefinition, Strategy, SubresourceDefinition } from '../../apiserver/types.js';
import { scaleHandler } from '../builtin/scale.js';
import { statusStrategy } from '../strategies.js';
import { CelRules } from './cel-rules.js';
import { applyDefaults } from './defaulting.js';
import { embeddedResourceErrors } from './embedded-resources.js';
import { listTypeErrors } from './list-types.js';
import { printerColumns, selectableFieldsOf } from './printer-columns.js';
import { pruneUnknown } from './pruning.js';
import { ratchet } from './ratcheting.js';
import { compileSchemaValidator, type SchemaValidator } from './schema-validator.js';

export interface CustomResourceApi {
  definitions: ResourceDefinition[];
  handlers: CustomHandler[];
}

/** The resources and handlers of a CRD's served versions. */
export function customResourceApi(crd: KubeObject): CustomResourceApi {
  const spec = crdSpecOf(crd);
  const storage = storageVersionOf(spec);
  // Discovery prefers the first version: Kubernetes orders them by version priority.
  const served = spec.versions.filter((v) => v.served).sort((a, b) => compareKubeVersions(a.name, b.name));
  return {
    definitions: served.map((version) =>
      versionDefinition(spec, version, storage, crd.metadata.deletionTimestamp !== undefined),
    ),
    handlers: served.flatMap((version) => {
      const scale = version.subresources?.scale;
      return scale ? [scaleHandler(spec.group, version.name, spec.names.plural, customScale(scale))] : [];
    }),
  };
}

/**
 * Kubernetes' version priority: GA before beta before alpha, higher numbers first, then versions
 * that do not look like Kubernetes versions, alphabetically (v2 > v1 > v1beta2 > v1alpha1 > foo).
 */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stability = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
    return [stability, Number(m[1]), Number(m[3] ?? 0)];
  };
  const ra = rank(a);
  const rb = rank(b);
  if (!ra || !rb) return ra ? -1 : rb ? 1 : a.localeCompare(b);
  if (ra[0] !== rb[0]) return rb[0] - ra[0];
  if (ra[1] !== rb[1]) return rb[1] - ra[1];
  return rb[2] - ra[2];
}

/** Every check of one version's objects: schema, list types, embedded resources and CEL rules. */
function versionValidator(schema: JSONSchemaProps): (obj: KubeObject, old?: KubeObject) => FieldError[] {
  // Compiled on the first write: installing an API (every start, every CRD change) stays cheap.
  let validate: SchemaValidator | undefined;
  const rules = new CelRules(schema);
  return (obj, old) => {
    validate ??= compileSchemaValidator(schema);
    const found = [...validate(obj), ...listTypeErrors(schema, obj), ...embeddedResourceErrors(schema, obj)];
    const errors = old ? ratchet(found, obj, old) : found;
    // CEL rules see well-typed values only, as in Kubernetes.
    return errors.length > 0 ? errors : rules.validate(obj, old);
  };
}

function versionDefinition(
  spec: CrdSpec,
  version: CrdVersion,
  storageVersion: string,
  terminating: boolean,
): ResourceDefinition {
  const schema: JSONSchemaProps = version.schema?.openAPIV3Schema ?? {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  };
  const validate = versionValidator(schema);
  const normalize = (obj: KubeObject) => {
    pruneUnknown(obj, schema);
    applyDefaults(obj, schema);
  };
  const hasStatus = version.subresources?.status !== undefined;
  const strategy: Strategy = {
    prepareForCreate(obj) {
      // The CRD controller is deleting every object of a terminating CRD; none may come after.
      if (terminating) throw methodNotAllowed('create not allowed while custom resource definition is terminating');
      normalize(obj);
    },
    prepareForUpdate(obj, old) {
      normalize(obj);
      // Without a status subresource every change but metadata is a new generation (the store
      // counts spec changes only).
      if (!hasStatus && !isDeepStrictEqual(obj.status, old.status))
        obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
    },
    validate: (obj) => validate(obj),
    validateUpdate: (obj, old) => validate(obj, old),
  };
  const keepAllButStatus = statusStrategy();
  const subresources: SubresourceDefinition[] = hasStatus
    ? [
        {
          name: 'status',
          verbs: ['get', 'update', 'patch'],
          strategy: {
            prepareForUpdate(obj, old) {
              keepAllButStatus.prepareForUpdate?.(obj, old);
              normalize(obj);
            },
            validateUpdate: (obj, old) => validate(obj, old),
          },
        },
      ]
    : [];
  const group = spec.group;
  const names = spec.names;
  return {
    group,
    version: version.name,
    kind: names.kind,
    plural: names.plural,
    namespaced: spec.scope === 'Namespaced',
    listKind: names.listKind ?? `${names.kind}List`,
    singular: names.singular ?? names.kind.toLowerCase(),
    shortNames: [...(names.shortNames ?? [])],
    categories: [...(names.categories ?? [])],
    verbs: [...crudVerbs],
    strategy,
    subresources,
    hasStatus,
    discoverySubresources: [
      ...(hasStatus ? [{ name: 'status', verbs: ['get', 'patch', 'update'] }] : []),
      ...(version.subresources?.scale
        ? [
            {
              name: 'scale',
              verbs: ['get', 'patch', 'update'],
              kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
            },
          ]
        : []),
    ],
    // With printer columns, those are the table (Kubernetes adds AGE only to CRDs without any).
    ...(version.additionalPrinterColumns?.length
      ? { columns: printerColumns(version.additionalPrinterColumns), omitAgeColumn: true }
      : {}),
    ...(version.selectableFields?.length ? { selectableFields: selectableFieldsOf(version.selectableFields) } : {}),
    schema: schema as Record<string, unknown>,
    refusesStrategicMerge: true,
    ...(version.deprecated
      ? { deprecationWarning: version.deprecationWarning ?? `${group}/${version.name} ${names.kind} is deprecated` }
      : {}),
    pruneUnknownFields: (obj) => pruneUnknown(obj, schema),
    openApiSchema: () => ({ schema: publishedSchema(schema), components: {} }),
    conversion: {
      // `None` conversion: only apiVersion changes; defaults apply to what etcd held.
      fromStorage(obj) {
        obj.apiVersion = `${group}/${version.name}`;
        applyDefaults(obj, schema);
        return obj;
      },
      toStorage(obj) {
        return { ...obj, apiVersion: `${group}/${storageVersion}` };
      },
    },
  };
}

/** The schema as OpenAPI publishes it: typed apiVersion, kind and metadata (kubectl explain). */
function publishedSchema(schema: JSONSchemaProps): Record<string, unknown> {
  return { ...schema, properties: { ...schema.properties, ...objectRootProperties } };
}

/** A CR's Scale, read from and written to its CRD's `scale` paths. */
function customScale(paths: ScaleSubresource) {
  const at = (obj: unknown, path: string) => {
    let value = obj;
    for (const name of path.split('.').slice(1)) value = isRecord(value) ? value[name] : undefined;
    return value;
  };
  return {
    scaleOf(obj: KubeObject): KubeObject {
      const replicas = at(obj, paths.specReplicasPath);
      const current = at(obj, paths.statusReplicasPath);
      const selector = paths.labelSelectorPath ? at(obj, paths.labelSelectorPath) : undefined;
      const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
      return {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
        spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
        status: {
          replicas: typeof current === 'number' ? current : 0,
          ...(typeof selector === 'string' && selector ? { selector } : {}),
        },
      };
    },
    replicasPatch(replicas: number): Record<string, unknown> {
      const names = paths.specReplicasPath.split('.').slice(1);
      return names.reduceRight<unknown>((inner, name) => ({ [name]: inner }), replicas) as Record<string, unknown>;
    },
  };
}
