/**
 * What the RBAC authorizer reads: roles and bindings, synchronously, from memory. The server
 * feeds an `InMemoryRbacSource` from watches on the four RBAC resources.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ClusterRole, ClusterRoleBinding, RbacKind, Role, RoleBinding } from '../../api/rbac/types.js';

export interface RbacSource {
  getRole(namespace: string, name: string): Role | undefined;
  getClusterRole(name: string): ClusterRole | undefined;
  listRoleBindings(namespace: string): readonly RoleBinding[];
  listClusterRoleBindings(): readonly ClusterRoleBinding[];
}

/** Namespace ('' for cluster-scoped) → name → object. */
type Index<T> = Map<string, Map<string, T>>;

/**
 * A cache of RBAC objects keyed by kind, namespace and name. Objects are copied on the way in,
 * so later changes to the caller's object do not leak into authorization decisions.
 */
export class InMemoryRbacSource implements RbacSource {
  readonly #objects: Record<RbacKind, Index<KubeObject>> = {
    Role: new Map(),
    ClusterRole: new Map(),
    RoleBinding: new Map(),
    ClusterRoleBinding: new Map(),
  };

  /** Adds or replaces the object (ADDED and MODIFIED watch events). */
  upsert(kind: RbacKind, obj: KubeObject): void {
    const namespace = namespaceFor(kind, obj.metadata.namespace);
    const name = obj.metadata.name ?? '';
    const index = this.#objects[kind];
    let names = index.get(namespace);
    if (!names) {
      names = new Map();
      index.set(namespace, names);
    }
    names.set(name, structuredClone(obj));
  }

  /** Forgets the object (DELETED watch events). Unknown objects are ignored. */
  remove(kind: RbacKind, namespace: string | undefined, name: string): void {
    const ns = namespaceFor(kind, namespace);
    const names = this.#objects[kind].get(ns);
    names?.delete(name);
    if (names?.size === 0) this.#objects[kind].delete(ns);
  }

  /** Replaces every object of `kind` (after a relist). */
  replace(kind: RbacKind, objects: readonly KubeObject[]): void {
    this.#objects[kind].clear();
    for (const obj of objects) this.upsert(kind, obj);
  }

  getRole(namespace: string, name: string): Role | undefined {
    return this.#objects.Role.get(namespace)?.get(name) as Role | undefined;
  }

  getClusterRole(name: string): ClusterRole | undefined {
    return this.#objects.ClusterRole.get('')?.get(name) as ClusterRole | undefined;
  }

  listRoleBindings(namespace: string): readonly RoleBinding[] {
    return [...(this.#objects.RoleBinding.get(namespace)?.values() ?? [])] as RoleBinding[];
  }

  listClusterRoleBindings(): readonly ClusterRoleBinding[] {
    return [...(this.#objects.ClusterRoleBinding.get('')?.values() ?? [])] as ClusterRoleBinding[];
  }
}

function namespaceFor(kind: RbacKind, namespace: string | undefined): string {
  return kind === 'Role' || kind === 'RoleBinding' ? (namespace ?? '') : '';
}
