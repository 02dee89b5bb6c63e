/**
 * The object shapes every API surface shares (k8s.io/apimachinery meta/v1). Objects travel as
 * plain JSON: a resource's own fields stay untyped here so that unknown fields of real manifests
 * survive a round trip through the store.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/**
 * The reference that makes `owner` (of `apiVersion`/`kind`) the controller of an object: the
 * object goes when its owner goes. `blockOwnerDeletion` says whether the owner's deletion waits
 * for it (foreground deletion).
 */
export function controllerReference(
  owner: { apiVersion: string; kind: string; metadata: { name?: string; uid?: string } },
  blockOwnerDeletion: boolean,
): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion,
  };
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

/** Any API object: apiVersion, kind, metadata, and whatever fields its kind has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/**
 * A resourceVersion as a number for ordering (every store here counts revisions); an opaque one
 * orders first. Kubernetes clients must not compare them; this project's own caches and
 * controllers may, to tell their own write from an older event.
 */
export function resourceVersionOrder(resourceVersion: string | undefined): bigint {
  return resourceVersion && /^\d+$/.test(resourceVersion) ? BigInt(resourceVersion) : -1n;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/** The statuses a condition can have (Gardener adds Progressing to Kubernetes' three). */
export const CONDITION_STATUSES = Object.freeze(['True', 'False', 'Unknown', 'Progressing'] as const);

/** A `Condition` as Gardener and Kubernetes write them into `.status.conditions`. */
export interface Condition {
  type: string;
  status: (typeof CONDITION_STATUSES)[number];
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  reason?: string;
  message?: string;
  codes?: string[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** RFC 3339 timestamp with second precision, as metav1.Time serialises. */
export function nowTimestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A deep copy for JSON-shaped data; admission and strategies get copies they may not share. */
export function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `obj.spec` when it is an object, else undefined: for code that sees an object no guard has
 * checked (validation, strategies before validation). Typed kinds read `obj.spec` directly.
 */
export function specOf(obj: KubeObject): Record<string, unknown> | undefined {
  return isRecord(obj.spec) ? obj.spec : undefined;
}

/** `obj.status` when it is an object, else undefined (see `specOf`). */
export function statusOf(obj: KubeObject): Record<string, unknown> | undefined {
  return isRecord(obj.status) ? obj.status : undefined;
}
