/**
 * References to the built-in resources the controller manager's workload and service controllers
 * read and write, from the table of the built-in API (src/api/builtin): their objects are read
 * unchecked, as plain JSON, and each controller reads the fields it needs through small views.
 */
import { builtinResource } from '../../api/builtin/index.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import { type ResourceRef, resourceRef } from '../../api/resource-ref.js';

function ref(group: string, version: string, plural: string): ResourceRef {
  const { kind, namespaced } = builtinResource(group, version, plural);
  return resourceRef({ group, version, kind, plural, namespaced });
}

export const podResource = ref('', 'v1', 'pods');
export const serviceResource = ref('', 'v1', 'services');
export const endpointsResource = ref('', 'v1', 'endpoints');
export const endpointSliceResource = ref('discovery.k8s.io', 'v1', 'endpointslices');
export const jobResource = ref('batch', 'v1', 'jobs');
export const cronJobResource = ref('batch', 'v1', 'cronjobs');

/** `obj[field]` when it is an object, else an empty one (a view: writes go nowhere). */
export function recordAt(obj: Record<string, unknown> | undefined, field: string): Record<string, unknown> {
  const value = obj?.[field];
  return isRecord(value) ? value : {};
}

/** `obj[field]` when it is a list of objects, else an empty list. */
export function recordsAt(obj: Record<string, unknown> | undefined, field: string): Record<string, unknown>[] {
  const value = obj?.[field];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function specOf(obj: KubeObject): Record<string, unknown> {
  return recordAt(obj, 'spec');
}

export function statusOf(obj: KubeObject): Record<string, unknown> {
  return recordAt(obj, 'status');
}

/** Whether the pod's `Ready` condition is True (podutil.IsPodReady). */
export function isPodReady(pod: KubeObject): boolean {
  return recordsAt(statusOf(pod), 'conditions').some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podPhase(pod: KubeObject): string {
  const phase = statusOf(pod).phase;
  return typeof phase === 'string' ? phase : 'Pending';
}

/** Succeeded or Failed: the pod runs no more. */
export function isPodTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The reference of the object's controller (`controller: true`), if any. */
export function controllerOf(obj: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}
