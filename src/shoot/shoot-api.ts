/**
 * What a shoot's kube-apiserver serves (docs/architecture.md §What runs where): the core kinds
 * (Namespace, ConfigMap, Secret, ServiceAccount, Node, Event, Lease) and the RBAC kinds, and what
 * every shoot has from its first start on: the namespaces `default`, `kube-system`, `kube-public`,
 * `kube-node-lease`, the `cluster-admin` ClusterRole bound to `system:masters`, and the default
 * discovery and basic-user roles, as Kubernetes bootstraps them.
 */

import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition } from '../apiserver/types.js';
import { coreDefinitions } from '../registry/core/index.js';
import { rbacDefinitions } from '../registry/rbac/index.js';
import { CONTROLLER_MANAGER_USER } from './controller-manager/controller-manager.js';
import { NODES_GROUP } from './node-identity.js';

/** The kinds a shoot's kube-apiserver serves: the core kinds and the RBAC kinds. */
export const shootApiDefinitions: readonly ResourceDefinition[] = Object.freeze([
  ...coreDefinitions,
  ...rbacDefinitions,
]);

/** Keys whose objects are encrypted at rest (k8s `EncryptionConfiguration` for `secrets`). */
export const encryptedKeyPrefixes: readonly string[] = Object.freeze(['/registry/secrets/']);

export const shootSystemNamespaces: readonly string[] = Object.freeze([
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
]);

export const clusterAdminRole = 'cluster-admin';

/** The user and group of Gardener's static token (`kube-apiserver-static-token`). */
export const staticTokenUser = Object.freeze({
  name: 'system:cluster-admin',
  uid: 'system:cluster-admin',
  groups: Object.freeze(['system:masters']),
});

/** Kubernetes' labels and annotations on its default roles. */
const rbacDefaults = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

function clusterRole(name: string, rules: object[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, ...structuredClone(rbacDefaults) },
    rules,
  };
}

function userBinding(role: string, user: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: role, ...structuredClone(rbacDefaults) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
}

function groupBinding(role: string, group: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: role, ...structuredClone(rbacDefaults) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  };
}

/**
 * Created when missing on every start, in order (never overwritten: the store outlives any one
 * server). Besides the system namespaces and `cluster-admin`, Kubernetes' `system:discovery` and
 * `system:basic-user` for every authenticated user: discovery and `kubectl auth can-i` work for
 * users who hold only a namespaced RoleBinding; and `system:node` for the group `system:nodes`.
 */
export function shootBootstrapObjects(): KubeObject[] {
  return [
    ...shootSystemNamespaces.map((name): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    clusterRole(clusterAdminRole, [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    groupBinding(clusterAdminRole, 'system:masters'),
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ]),
    groupBinding('system:discovery', 'system:authenticated'),
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
    groupBinding('system:basic-user', 'system:authenticated'),
    // What the node agents need (Kubernetes' `system:node`, narrowed to what they do); the
    // NodeRestriction admission plugin limits each node to its own Node and Lease.
    clusterRole('system:node', [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'patch'] },
    ]),
    groupBinding('system:node', NODES_GROUP),
    // What the controller manager's controllers do (src/shoot/controller-manager/): its leader
    // election Lease, the default ServiceAccount of every namespace, and garbage collection.
    clusterRole(CONTROLLER_MANAGER_USER, [
      // The garbage collector reads everything and deletes what lost its owners.
      { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch', 'patch', 'delete'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'update'] },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] },
    ]),
    userBinding(CONTROLLER_MANAGER_USER, CONTROLLER_MANAGER_USER),
  ];
}
