/**
 * Node (v1, cluster-scoped): a worker registered with a shoot's API server by its node agent
 * (the kubelet's role). The agent creates its Node, then reports through `nodes/status` (the
 * generic store drops a status sent with the create, as for every kind with a status
 * subresource); updates of the main resource keep the stored status. `kubectl get nodes` prints
 * STATUS, ROLES, AGE and VERSION like kubectl's printer (`-o wide` adds addresses and node info).
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { optionalArray, optionalObject, optionalString } from '../validation.js';

export const nodeResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
});

/** Labels `node-role.kubernetes.io/<role>` name a node's roles. */
export const NODE_ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
/** The older single-role label: `kubernetes.io/role=<role>`. */
export const NODE_LEGACY_ROLE_LABEL = 'kubernetes.io/role';

/** The `Ready` condition's status (True, False, Unknown), undefined when the node has none. */
export function nodeReadyStatus(node: KubeObject): string | undefined {
  const conditions = isRecord(node.status) ? node.status.conditions : undefined;
  if (!Array.isArray(conditions)) return undefined;
  const ready = conditions.find((c) => isRecord(c) && c.type === 'Ready');
  return isRecord(ready) && typeof ready.status === 'string' ? ready.status : undefined;
}

/**
 * The STATUS column (kubectl `printNode`): `Ready` when the Ready condition is True, `NotReady`
 * when it is anything else, `Unknown` without one; `,SchedulingDisabled` for a cordoned node.
 */
export function nodeStatusColumn(node: KubeObject): string {
  const ready = nodeReadyStatus(node);
  const status = [ready === undefined ? 'Unknown' : ready === 'True' ? 'Ready' : 'NotReady'];
  if (isRecord(node.spec) && node.spec.unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** The node's roles from its labels, sorted; kubectl prints them comma-separated or `<none>`. */
export function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith(NODE_ROLE_LABEL_PREFIX)) {
      const role = key.slice(NODE_ROLE_LABEL_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (key === NODE_LEGACY_ROLE_LABEL && typeof value === 'string' && value !== '') {
      roles.add(value);
    }
  }
  return [...roles].sort();
}

/** `status.nodeInfo[field]` (kubeletVersion, osImage, …), empty when unset. */
export function nodeInfoField(node: KubeObject, field: string): string {
  const info = isRecord(node.status) && isRecord(node.status.nodeInfo) ? node.status.nodeInfo : undefined;
  const value = info?.[field];
  return typeof value === 'string' ? value : '';
}

/** The first address of `type` in `status.addresses`, `<none>` when there is none. */
export function nodeAddress(node: KubeObject, type: string): string {
  const addresses = isRecord(node.status) ? node.status.addresses : undefined;
  if (!Array.isArray(addresses)) return '<none>';
  const match = addresses.find((a) => isRecord(a) && a.type === type && typeof a.address === 'string');
  return isRecord(match) ? (match.address as string) : '<none>';
}

/** Pod CIDRs, provider ID, `unschedulable` and taints (each with a key and a known effect). */
export function validateNodeSpec(spec: unknown): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isRecord(spec)) return [FieldError.typeInvalid('spec', spec, 'must be an object')];
  const errs = [
    ...optionalString(spec.podCIDR, 'spec.podCIDR'),
    ...optionalArray(spec.podCIDRs, 'spec.podCIDRs'),
    ...optionalString(spec.providerID, 'spec.providerID'),
    ...optionalArray(spec.taints, 'spec.taints'),
  ];
  if (spec.unschedulable !== undefined && spec.unschedulable !== null && typeof spec.unschedulable !== 'boolean') {
    errs.push(FieldError.typeInvalid('spec.unschedulable', spec.unschedulable, 'must be a boolean'));
  }
  if (Array.isArray(spec.taints)) {
    spec.taints.forEach((taint, i) => {
      const path = `spec.taints[${i}]`;
      if (!isRecord(taint)) errs.push(FieldError.typeInvalid(path, taint, 'must be an object'));
      else if (typeof taint.key !== 'string' || taint.key === '') errs.push(FieldError.required(`${path}.key`));
      else if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(taint.effect as string)) {
        errs.push(
          FieldError.notSupported(`${path}.effect`, taint.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
        );
      }
    });
  }
  return errs;
}

/** Conditions (type, and status True/False/Unknown), addresses, node info, capacity and allocatable. */
export function validateNodeStatus(status: unknown): FieldError[] {
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) return [FieldError.typeInvalid('status', status, 'must be an object')];
  const errs = [
    ...optionalArray(status.conditions, 'status.conditions'),
    ...optionalArray(status.addresses, 'status.addresses'),
    ...optionalObject(status.nodeInfo, 'status.nodeInfo'),
    ...optionalObject(status.capacity, 'status.capacity'),
    ...optionalObject(status.allocatable, 'status.allocatable'),
  ];
  if (Array.isArray(status.conditions)) {
    status.conditions.forEach((condition, i) => {
      const path = `status.conditions[${i}]`;
      if (!isRecord(condition)) {
        errs.push(FieldError.typeInvalid(path, condition, 'must be an object'));
        return;
      }
      if (typeof condition.type !== 'string' || condition.type === '') errs.push(FieldError.required(`${path}.type`));
      if (!['True', 'False', 'Unknown'].includes(condition.status as string)) {
        errs.push(FieldError.notSupported(`${path}.status`, condition.status, ['True', 'False', 'Unknown']));
      }
    });
  }
  return errs;
}

/** A created Node: its spec and the status its agent may send along. */
export function validateNode(obj: KubeObject): FieldError[] {
  return [...validateNodeSpec(obj.spec), ...validateNodeStatus(obj.status)];
}
