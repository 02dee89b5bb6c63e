/**
 * What a shoot's kube-apiserver serves (docs/architecture.md §What runs where): every built-in
 * resource of Kubernetes 1.31 (src/registry/builtin), and what every shoot has from its first
 * start on: the namespaces `default`, `kube-system`, `kube-public`, `kube-node-lease`, the
 * `kubernetes` Service, the system PriorityClasses, the `cluster-admin` ClusterRole bound to
 * `system:masters`, and the default discovery and basic-user roles, as Kubernetes bootstraps them.
 */

import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition } from '../apiserver/types.js';
import { builtinDefinitions } from '../registry/builtin/index.js';
import { kubernetesServiceIP } from '../registry/builtin/service-ip-allocator.js';
import { CONTROLLER_MANAGER_USER } from './controller-manager/controller-manager.js';
import { NODES_GROUP } from './node-identity.js';
import { SCHEDULER_USER } from './scheduler/kube-scheduler.js';

/** The kinds a shoot's kube-apiserver serves: the built-in API of Kubernetes 1.31. */
export const shootApiDefinitions: readonly ResourceDefinition[] = builtinDefinitions;

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
 * `default/kubernetes`: the API server's own Service at the first address of the service range,
 * as every cluster has it (`kubectl get svc` lists it).
 */
function kubernetesService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: kubernetesServiceIP(),
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }],
      sessionAffinity: 'None',
    },
  };
}

/** The two PriorityClasses every cluster has for its system components. */
function systemPriorityClasses(): KubeObject[] {
  const priorityClass = (name: string, value: number, description: string): KubeObject => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    globalDefault: false,
    description,
  });
  return [
    priorityClass(
      'system-node-critical',
      2000001000,
      'Used for system critical pods that must not be moved from their current node.',
    ),
    priorityClass(
      'system-cluster-critical',
      2000000000,
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
    ),
  ];
}

/**
 * Kubernetes' RBAC bootstrap reconciliation of one default ClusterRole: a stored role whose
 * `rbac.authorization.kubernetes.io/autoupdate` is "true" gets the rules this version adds
 * (e.g. what nodes need to run pods), keeping any rule an operator added; undefined when it has
 * them all or opted out.
 */
export function reconciledClusterRole(stored: KubeObject, wanted: KubeObject): KubeObject | undefined {
  const autoupdate = stored.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'];
  if (autoupdate !== 'true' || stored.kind !== 'ClusterRole') return undefined;
  const rules = Array.isArray(stored.rules) ? stored.rules : [];
  const missing = (Array.isArray(wanted.rules) ? wanted.rules : []).filter(
    (rule) => !rules.some((have) => isDeepStrictEqual(have, rule)),
  );
  return missing.length > 0 ? { ...stored, rules: [...rules, ...missing] } : undefined;
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
    kubernetesService(),
    ...systemPriorityClasses(),
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
      // The pods bound to it (NodeRestriction: only those), their status, and their final delete.
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/status'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    ]),
    groupBinding('system:node', NODES_GROUP),
    // What the controller manager's controllers do (src/shoot/controller-manager/): its leader
    // election Lease, the default ServiceAccount and root CA of every namespace, garbage collection,
    // the workload controllers, and the controllers of namespaces, Services' endpoints, Jobs and CronJobs.
    clusterRole(CONTROLLER_MANAGER_USER, [
      // The garbage collector reads everything and deletes what lost its owners.
      { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch', 'patch', 'delete'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'update'] },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] },
      // The root CA publisher's `kube-root-ca.crt` in every namespace.
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update'] },
      // The workload controllers (apps/): pods, claims and events they create, what they own and scale.
      { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['create'] },
      {
        apiGroups: ['', 'apps'],
        resources: [
          'replicationcontrollers/status',
          'replicasets',
          'replicasets/status',
          'deployments/status',
          'statefulsets/status',
          'daemonsets/status',
          'controllerrevisions',
        ],
        verbs: ['create', 'update'],
      },
      // Namespace deletion, Endpoints and EndpointSlices, Jobs and CronJobs (batch-service controllers).
      { apiGroups: [''], resources: ['namespaces/finalize', 'namespaces/status'], verbs: ['update'] },
      { apiGroups: [''], resources: ['endpoints'], verbs: ['create', 'update'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['create', 'update'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] },
      { apiGroups: ['batch'], resources: ['jobs/status', 'cronjobs/status'], verbs: ['update'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    ]),
    userBinding(CONTROLLER_MANAGER_USER, CONTROLLER_MANAGER_USER),
    // Kubernetes' `system:kube-scheduler`, narrowed to what this scheduler does: read pods and
    // nodes, bind pods, report unschedulable ones (pods/status, events), hold its Lease.
    clusterRole(SCHEDULER_USER, [
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['bindings', 'pods/binding'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['kube-scheduler'],
        verbs: ['get', 'update'],
      },
    ]),
    userBinding(SCHEDULER_USER, SCHEDULER_USER),
  ];
}
