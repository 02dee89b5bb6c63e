/**
 * NodeRestriction (as in Kubernetes): a node's credentials (`system:node:<name>` in
 * `system:nodes`) change only that node's own objects — its Node (and its status), its Lease
 * in `kube-node-lease`, and the pods bound to it (their status, their final delete; a node creates
 * no pods, having no static ones). RBAC grants what nodes may do at all; this keeps one machine's stolen
 * certificate from marking every other node Ready or renewing their leases.
 */
import { forbidden } from '../api/errors.js';
import { isRecord } from '../api/meta.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../apiserver/types.js';
import { NODE_LEASE_NAMESPACE } from './node-agent.js';
import { nodeNameOfUser } from './node-identity.js';

export class NodeRestriction implements AdmissionPlugin {
  readonly name = 'NodeRestriction';

  handles(operation: Operation): boolean {
    return operation !== 'CONNECT';
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const node = nodeNameOfUser(attrs.user);
    if (node === undefined) return;
    const ref = { group: attrs.kind.group, resource: attrs.resource };
    if (attrs.kind.group === '' && attrs.resource === 'nodes' && attrs.name !== node) {
      throw forbidden(ref, attrs.name, `node "${node}" is not allowed to modify node "${attrs.name}"`);
    }
    if (attrs.kind.group === '' && attrs.resource === 'pods') podRestriction(node, attrs);
    if (attrs.kind.group === 'coordination.k8s.io' && attrs.resource === 'leases') {
      if (attrs.namespace !== NODE_LEASE_NAMESPACE) {
        throw forbidden(ref, attrs.name, `node "${node}" can only access node leases in ${NODE_LEASE_NAMESPACE}`);
      }
      if (attrs.name !== node) {
        throw forbidden(
          ref,
          attrs.name,
          `node "${node}" can only access the node lease with the same name as the requesting node`,
        );
      }
    }
  }
}

/** A node writes only the status of pods bound to it and deletes only those; it creates none. */
function podRestriction(node: string, attrs: AdmissionAttributes): void {
  const ref = { group: '', resource: 'pods' };
  if (attrs.operation === 'CREATE') {
    throw forbidden(ref, attrs.name, `node "${node}" can only create mirror pods, which this cluster has none of`);
  }
  const existing = attrs.oldObject ?? attrs.object;
  const boundTo = isRecord(existing.spec) ? existing.spec.nodeName : undefined;
  if (attrs.operation === 'UPDATE' && attrs.subresource !== 'status') {
    throw forbidden(ref, attrs.name, `node "${node}" can only update pod status`);
  }
  if (boundTo !== node) {
    throw forbidden(
      ref,
      attrs.name,
      `node "${node}" can only ${attrs.operation === 'DELETE' ? 'delete' : 'update'} pods bound to itself`,
    );
  }
}
