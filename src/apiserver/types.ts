/**
 * The contracts between the generic API server and what plugs into it: resource definitions
 * (per-kind strategy, tables, selectable fields), admission plugins, authentication and
 * authorization. Kinds' types and validation live in src/api/<group>/, their definitions in
 * src/registry/<group>/; src/garden|seed|shoot wire them together.
 */
import type { ListFact } from '../api/builtin/list-facts.js';
import type { FieldError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceRef } from '../api/resource-ref.js';

export { apiVersionOf } from '../api/resource-ref.js';

/** Who is making a request. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  /**
   * Further facts of the authentication (k8s `user.Info.GetExtra`); e.g. which credential the
   * request presented, under `authentication.kubernetes.io/credential-id`.
   */
  extra?: Record<string, string[]>;
}

/** What a request does, as the authorizer and admission see it (k8s RequestInfo attributes). */
export interface RequestAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; or an HTTP verb for non-resource paths. */
  verb: string;
  /** True for /apis/... and /api/... resource requests. */
  resourceRequest: boolean;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** For non-resource requests: the URL path. */
  path: string;
  /**
   * A list's or watch's selectors as sent (`fieldSelector`, `labelSelector`), which an authorizer
   * may require to narrow what is returned (k8s 1.31 AuthorizeWithSelectors, as the node
   * authorizer does for a kubelet's pods).
   */
  fieldSelector?: string;
  labelSelector?: string;
}

export type AuthorizationDecision = 'allow' | 'deny' | 'noOpinion';

export interface AuthorizationResult {
  decision: AuthorizationDecision;
  reason: string;
}

export interface Authorizer {
  authorize(attrs: RequestAttributes): Promise<AuthorizationResult>;
}

/** The parts of an incoming request an authenticator may look at. */
export interface AuthenticationRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** The verified client certificate chain's leaf, when the TLS peer presented one the server trusts. */
  clientCertificate?: { subject: { CN?: string; O?: string | string[] } };
}

export interface Authenticator {
  /** A user, `null` when this authenticator has nothing to say, or throws `unauthorized` for bad credentials. */
  authenticate(req: AuthenticationRequest): Promise<UserInfo | null>;
  /**
   * Calls `listener` with the credential ids (`extra['authentication.kubernetes.io/credential-id']`
   * of the users it returned) whose credentials were revoked since, so that the server ends the
   * requests still running with them (open watches). Optional: an authenticator whose credentials
   * cannot be revoked has none.
   */
  onRevoked?(listener: (credentialIds: readonly string[]) => void): void;
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  /** The object after the change (CREATE, UPDATE); for DELETE, the object being deleted. */
  object: KubeObject;
  /** The object before the change (UPDATE, DELETE). */
  oldObject?: KubeObject;
  kind: GroupVersionKind;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  user: UserInfo;
  dryRun: boolean;
}

/**
 * An admission plugin. `admit` may mutate `attrs.object`; `validate` must not (it gets a frozen
 * copy). Throwing a StatusError rejects the request; the first error stops the chain.
 */
export interface AdmissionPlugin {
  readonly name: string;
  handles(operation: Operation): boolean;
  admit?(attrs: AdmissionAttributes): Promise<void>;
  validate?(attrs: AdmissionAttributes): Promise<void>;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** One column of `kubectl get` output, with the function computing its cell from an object of type `T`. */
export interface TableColumn<T extends KubeObject = KubeObject> {
  name: string;
  /** integer, number, string, boolean, date (rendered as AGE-like by kubectl). */
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  /** 0 shows in `kubectl get`, higher ones only with `-o wide`. */
  priority?: number;
  cell(obj: T): string | number | boolean | null;
}

/**
 * Per-kind behaviour (k8s RESTCreateStrategy/RESTUpdateStrategy). The generic store calls the
 * hooks in a fixed order: prepareForCreate → validate → canonicalize; prepareForUpdate →
 * validateUpdate → canonicalize. Hooks named prepare* and canonicalize may mutate `obj`;
 * validate* must not.
 */
export interface Strategy {
  /** Clears status and sets defaults on create. */
  prepareForCreate?(obj: KubeObject): void;
  /** Keeps the fields this endpoint may not change (e.g. status on the main resource). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  canonicalize?(obj: KubeObject): void;
  /** Mutates an object that deletion marks with a deletionTimestamp (e.g. a Namespace turns Terminating). */
  prepareForDelete?(obj: KubeObject): void;
  /**
   * Graceful deletion (k8s RESTGracefulDeleteStrategy.CheckGracefulDelete): how many seconds the
   * object stays, marked, before whoever runs it deletes it for good, given the request's
   * `gracePeriodSeconds` (undefined when it names none). 0 deletes at once. Pure.
   */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number;
}

/** A named subresource backed by the parent's storage with its own strategy (e.g. status, binding). */
export interface SubresourceDefinition {
  name: string;
  /** The strategy for updates through this subresource. */
  strategy: Strategy;
  /** Verbs served: a subset of get, update, patch. */
  verbs: readonly ('get' | 'update' | 'patch')[];
}

/** Everything the server needs to serve one kind: its reference (group, version, kind, plural, scope) and behaviour. */
export interface ResourceDefinition extends ResourceRef {
  listKind: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  /** How metadata.name is checked: an RFC 1123 subdomain (default), a label, or any path segment (RBAC kinds). */
  nameRule?: 'subdomain' | 'label' | 'dns1035Label' | 'pathSegment';
  /** Strategy for create, update and patch of the main resource. */
  strategy: Strategy;
  /** Subresources other than the generic ones the server handles itself. */
  subresources?: SubresourceDefinition[];
  /** Columns after NAME (AGE is appended by the server unless present or `omitAgeColumn`). */
  columns?: TableColumn[];
  /**
   * `columns` are all the columns after NAME: no AGE is appended (a CRD's own `Created At`, the
   * printer columns of a custom resource, which show an age only if they name one).
   */
  omitAgeColumn?: boolean;
  /**
   * Field selectors beyond metadata.name and metadata.namespace: field path → value getter
   * (e.g. `spec.seedName` on shoots). Unknown fields in a selector are a 400.
   */
  selectableFields?: Record<string, (obj: KubeObject) => string | undefined>;
  /** Verbs the resource serves; default all. */
  verbs?: readonly string[];
  /** Status subresource on by default when the kind has a status; set false to disable. */
  hasStatus?: boolean;
  /**
   * Finalizers beyond `metadata.finalizers` that hold an object's deletion (a Namespace's
   * `spec.finalizers`). The object is removed once both lists are empty.
   */
  extraFinalizers?(obj: KubeObject): readonly string[];
  /**
   * A finalizer the server puts on every object of the kind it is asked to delete, for the
   * cleanup a controller does before the object goes (a CRD's
   * `customresourcecleanup.apiextensions.k8s.io`: its custom resources are deleted first).
   */
  finalizerOnDelete?: string;
  /** A JSON schema (OpenAPI v3) for the kind; unknown fields are always preserved. */
  schema?: Record<string, unknown>;
  /**
   * How server-side apply merges and tracks the kind's lists and objects (see `FieldType`), by
   * field path. Paths name fields from the object's root, `[]` stands for every item of a list
   * and `*` for every key of a map: `spec.template.spec.containers`,
   * `spec.template.spec.containers[].ports`, `status.conditions`. Lists not named here are atomic,
   * objects granular, as Kubernetes treats fields without `x-kubernetes-list-type`. The
   * `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` and `x-kubernetes-map-type` markers of
   * `schema` count too (these entries win); `metadata.finalizers` (a set) and
   * `metadata.ownerReferences` (a map keyed by uid) hold for every kind.
   */
  fieldTypes?: FieldTypes;
  /**
   * Where the objects are kept when that is another resource's place (events.k8s.io Events are
   * core Events): the store's keys are that resource's, and `conversion` translates.
   */
  storageResource?: { group: string; plural: string };
  /**
   * For a version that is not the one its objects are stored in (autoscaling/v1 beside v2): how
   * a stored object becomes one of this version and back. Both versions share the store's keys
   * (same group and plural); objects are always written in the storage version.
   */
  conversion?: {
    fromStorage(obj: KubeObject): KubeObject;
    toStorage(obj: KubeObject): KubeObject;
  };
  /**
   * The kind's full OpenAPI v3 schema and the schemas it references (by component name), when the
   * server knows them (`kubectl explain`); called when a client first asks for the document.
   */
  openApiSchema?(): { schema: Record<string, unknown>; components: Record<string, Record<string, unknown>> };
  /**
   * How the list at `path` (field names from the object's root, no indexes) merges: by a key, as
   * a set, or — undefined — atomic. Kinds without it merge only the lists patch.ts knows by name.
   */
  listFact?(path: readonly string[]): ListFact | undefined;
  /**
   * Drops the fields of a decoded object its kind does not have, in place, and returns their
   * paths (Kubernetes' decoder for built-in kinds); kinds without it keep every field.
   */
  pruneUnknownFields?(obj: KubeObject): string[];
  /** Sent as a `Warning` with every response of this version (a CRD version marked `deprecated`). */
  deprecationWarning?: string;
  /**
   * Objects without Go types (custom resources): a strategic merge patch, which needs the
   * types' patch strategies, is refused with 415 as Kubernetes refuses it.
   */
  refusesStrategicMerge?: boolean;
  /**
   * The subresources discovery lists, when they are more than `status` and `subresources`: some
   * are served by custom handlers (`deployments/scale`, `pods/log`), some have a kind of their own
   * (`scale` is an autoscaling/v1 Scale, `pods/eviction` a policy/v1 Eviction).
   */
  discoverySubresources?: readonly DiscoverySubresource[];
}

/** A subresource as discovery lists it; `kind` when it is not the parent's. */
export interface DiscoverySubresource {
  readonly name: string;
  readonly verbs: readonly string[];
  readonly kind?: GroupVersionKind;
}

/**
 * How server-side apply treats one list or object field (Kubernetes' `x-kubernetes-list-type`,
 * `x-kubernetes-list-map-keys` and `x-kubernetes-map-type`):
 * - `'atomic'`: replaced as a whole and owned by one manager (the default for lists);
 * - `'set'`: a list of scalars, merged by value; each value has its own owner;
 * - `{ mapKeys }`: a list of objects merged by the values of these fields, each item's fields
 *   owned separately (containers by `name`, ports by `containerPort` and `protocol`). A key field
 *   that items may omit and that has a default (`protocol: TCP`) names it in `keyDefaults`;
 * - `'granular'`: an object merged field by field (the default for objects).
 */
export type FieldType =
  | 'atomic'
  | 'set'
  | 'granular'
  | {
      readonly mapKeys: readonly string[];
      readonly keyDefaults?: Readonly<Record<string, string | number | boolean>>;
    };

/** Field path → how server-side apply treats that field; see `ResourceDefinition.fieldTypes`. */
export type FieldTypes = Readonly<Record<string, FieldType>>;

export function gvkOf(def: ResourceDefinition): GroupVersionKind {
  return { group: def.group, version: def.version, kind: def.kind };
}
