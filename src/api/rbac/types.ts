/**
 * rbac.authorization.k8s.io/v1 object shapes: Role, ClusterRole, RoleBinding, ClusterRoleBinding.
 */
import type { KubeObject } from '../meta.js';

export const rbacGroup = 'rbac.authorization.k8s.io';
export const rbacVersion = 'v1';

/** `*` in verbs, apiGroups, resources: everything. */
export const matchAll = '*';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export type SubjectKind = 'User' | 'Group' | 'ServiceAccount';

export interface Subject {
  kind: SubjectKind | string;
  /** `rbac.authorization.k8s.io` for User and Group, empty for ServiceAccount. */
  apiGroup?: string;
  name: string;
  /** ServiceAccount only; in a RoleBinding it defaults to the binding's namespace. */
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: 'Role' | 'ClusterRole' | string;
  name: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Role extends KubeObject {
  rules?: PolicyRule[];
}

export interface ClusterRole extends KubeObject {
  rules?: PolicyRule[];
  /**
   * Read by an aggregation controller in Kubernetes, which Transplant does not run: the rules
   * of an aggregated ClusterRole are whatever `rules` says.
   */
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

export interface RoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef: RoleRef;
}

export interface ClusterRoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef: RoleRef;
}

export type RbacKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

/** The user name a service account authenticates as. */
export function serviceAccountUserName(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
