/**
 * The parts of `apiextensions.k8s.io/v1` CustomResourceDefinition the server acts on: names,
 * scope, versions with their structural schema, subresources and printer columns, and the status
 * the server writes (conditions, accepted names, stored versions). Read from stored objects through
 * `crdSpecOf`, which trusts the CRD's validation (crd-validation.ts) to have checked the shape.
 */
import { isRecord, type KubeObject } from '../meta.js';
import { type ResourceRef, resourceRef } from '../resource-ref.js';

/** One node of a CRD's OpenAPI v3 schema (Kubernetes' `JSONSchemaProps`), the fields used here. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  multipleOf?: number;
  uniqueItems?: boolean;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

/** One `x-kubernetes-validations` entry: a CEL rule and how its failure is reported. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: object; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
  /** Fields usable in field selectors (`.spec.color`), besides metadata.name and metadata.namespace. */
  selectableFields?: { jsonPath: string }[];
}

export interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
  conversion?: { strategy?: string };
  preserveUnknownFields?: boolean;
}

export const crdGroup = 'apiextensions.k8s.io';

/** The finalizer that holds a deleted CRD until its custom resources are gone. */
export const crdCleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';

/** The CRD's spec, as validation left it (every field this server reads has its type). */
export function crdSpecOf(crd: KubeObject): CrdSpec {
  return (isRecord(crd.spec) ? crd.spec : {}) as unknown as CrdSpec;
}

/** The CRD's conditions (`NamesAccepted`, `Established`, `Terminating`). */
export function crdConditions(crd: KubeObject): { type: string; status: string; reason?: string; message?: string }[] {
  const status = isRecord(crd.status) ? crd.status : {};
  return Array.isArray(status.conditions) ? (status.conditions as { type: string; status: string }[]) : [];
}

export function crdConditionTrue(crd: KubeObject, type: string): boolean {
  return crdConditions(crd).some((c) => c.type === type && c.status === 'True');
}

/** The one version whose objects are kept in etcd. */
export function storageVersionOf(spec: CrdSpec): string {
  return spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? '';
}

/** The CustomResourceDefinition resource, for clients. */
export const crdResource = resourceRef({
  group: crdGroup,
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
});

/** The storage version's resource of a CRD's custom resources, for clients (cleanup, garbage collection). */
export function customResourceRef(spec: CrdSpec): ResourceRef {
  return resourceRef({
    group: spec.group,
    version: storageVersionOf(spec),
    kind: spec.names.kind,
    plural: spec.names.plural,
    namespaced: spec.scope === 'Namespaced',
  });
}
