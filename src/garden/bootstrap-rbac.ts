/**
 * The garden's built-in roles, created on every start when missing (never overwritten, so an
 * operator's edits stay). Names follow Gardener's: operators hold `gardener.cloud:admin`,
 * project members `gardener.cloud:system:project-member`, which deliberately lacks
 * `shoots/binding`: only operators may move a control plane.
 */
import type { KubeObject } from '../api/meta.js';

export const operatorGroup = 'gardener.cloud:operators';
export const operatorUser = 'operator';
export const projectMemberUser = 'dev-member';
export const adminClusterRole = 'gardener.cloud:admin';
export const projectMemberClusterRole = 'gardener.cloud:system:project-member';
export const viewerClusterRole = 'gardener.cloud:viewer';
/**
 * What RBAC still grants gardenlets (Events); each seed's gardenlet is in `seedsGroup`, and the
 * SeedAuthorizer decides the rest from its seed's objects.
 */
export const gardenletClusterRole = 'gardener.cloud:system:gardenlet';
export const seedsGroup = 'gardener.cloud:system:seeds';

/** The user a seed's gardenlet authenticates as. */
export function gardenletUser(seed: string): string {
  return `gardener.cloud:system:seed:${seed}`;
}

/** Every authenticated user may ask what it may do and read its own discovery. */
export const basicUserClusterRole = 'system:basic-user';

const rbacApiVersion = 'rbac.authorization.k8s.io/v1';

function clusterRole(name: string, rules: object[]): KubeObject {
  return {
    apiVersion: rbacApiVersion,
    kind: 'ClusterRole',
    metadata: { name, labels: { 'transplant.gardener.cloud/bootstrap': 'true' } },
    rules,
  };
}

function clusterRoleBinding(name: string, role: string, subjects: object[]): KubeObject {
  return {
    apiVersion: rbacApiVersion,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { 'transplant.gardener.cloud/bootstrap': 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  };
}

export function bootstrapClusterRoles(): KubeObject[] {
  return [
    clusterRole(adminClusterRole, [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    clusterRole(projectMemberClusterRole, [
      {
        apiGroups: ['core.gardener.cloud'],
        resources: ['shoots'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      { apiGroups: ['core.gardener.cloud'], resources: ['shoots/adminkubeconfig'], verbs: ['create'] },
      {
        apiGroups: ['core.gardener.cloud'],
        resources: ['shootstates', 'backupentries'],
        verbs: ['get', 'list', 'watch'],
      },
      {
        apiGroups: [''],
        resources: ['secrets', 'events'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      // The project's credentials, as Gardener's project admins manage them; quotas are the operators'.
      {
        apiGroups: ['core.gardener.cloud'],
        resources: ['secretbindings'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: ['security.gardener.cloud'],
        resources: ['credentialsbindings'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      { apiGroups: ['core.gardener.cloud'], resources: ['quotas'], verbs: ['get', 'list', 'watch'] },
      // Asking whether a move would work is every member's; the move itself (shoots/binding) is not.
      {
        apiGroups: ['migration.transplant.gardener.cloud'],
        resources: ['migrationpreflights'],
        verbs: ['get', 'list', 'watch', 'create', 'delete'],
      },
    ]),
    // Everything else a gardenlet does is the SeedAuthorizer's to decide (src/garden/authorizer/).
    clusterRole(gardenletClusterRole, [
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ]),
    clusterRole(viewerClusterRole, [
      // Gardener's `gardener.cloud:system:read-global-resources`: what every user may read.
      {
        apiGroups: ['core.gardener.cloud'],
        resources: ['seeds', 'projects', 'cloudprofiles'],
        verbs: ['get', 'list', 'watch'],
      },
    ]),
    clusterRole(basicUserClusterRole, [
      { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'], verbs: ['create'] },
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/openapi',
          '/openapi/*',
          '/version',
          '/healthz',
          '/readyz',
          '/livez',
        ],
        verbs: ['get'],
      },
    ]),
  ];
}

export function bootstrapClusterRoleBindings(): KubeObject[] {
  return [
    clusterRoleBinding(adminClusterRole, adminClusterRole, [
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: operatorGroup },
    ]),
    clusterRoleBinding(gardenletClusterRole, gardenletClusterRole, [
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: seedsGroup },
    ]),
    clusterRoleBinding(basicUserClusterRole, basicUserClusterRole, [
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' },
    ]),
    clusterRoleBinding(viewerClusterRole, viewerClusterRole, [
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' },
    ]),
  ];
}

/** Grants the project member role in the project's namespace. */
export function projectMemberRoleBinding(namespace: string, user: string): KubeObject {
  return {
    apiVersion: rbacApiVersion,
    kind: 'RoleBinding',
    metadata: { name: `project-member:${user}`, namespace, labels: { 'transplant.gardener.cloud/bootstrap': 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: projectMemberClusterRole },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
  };
}
