/**
 * The project controller of the garden controller manager: each Project gets its namespace
 * (`spec.namespace`, by default `garden-<name>`) and a RoleBinding that makes its members
 * project members there.
 */
import { namespaceResource } from '../../api/core/namespace.js';
import { projectResource } from '../../api/core-gardener/project.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import { roleBindingResource } from '../../api/rbac/resources.js';
import type { Client } from '../../client/client.js';
import { createOrPatch } from '../../client/create-or-patch.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { projectMemberClusterRole } from '../bootstrap-rbac.js';

export const projectLabel = 'project.gardener.cloud/name';
export const membersRoleBindingName = 'gardener.cloud:system:project-members';

export class ProjectReconciler implements Reconciler {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const projects = this.#client.resource(projectResource);
    const project = await projects.find('', key.name);
    if (!project) return {};
    if (project.metadata.deletionTimestamp) return {};
    const namespace = projectNamespace(project);
    await this.#ensureNamespace(namespace, key.name);
    await this.#ensureMembers(namespace, project);
    const status = isRecord(project.status) ? project.status : {};
    if (status.phase !== 'Ready' || status.observedGeneration !== project.metadata.generation) {
      await projects.patch(
        '',
        key.name,
        { status: { phase: 'Ready', observedGeneration: project.metadata.generation } },
        { subresource: 'status' },
      );
    }
    return {};
  }

  async #ensureNamespace(namespace: string, project: string): Promise<void> {
    await this.#client.resource(namespaceResource).createIfAbsent('', {
      metadata: { name: namespace, labels: { [projectLabel]: project, 'gardener.cloud/role': 'project' } },
    });
  }

  async #ensureMembers(namespace: string, project: KubeObject): Promise<void> {
    const spec = isRecord(project.spec) ? project.spec : {};
    const members = Array.isArray(spec.members) ? spec.members.filter(isRecord) : [];
    const subjects = members.map((m) => ({
      kind: String(m.kind ?? 'User'),
      name: String(m.name ?? ''),
      ...(m.kind === 'ServiceAccount'
        ? { namespace: String(m.namespace ?? namespace) }
        : { apiGroup: 'rbac.authorization.k8s.io' }),
    }));
    if (isRecord(spec.owner) && spec.owner.name) {
      const owner = {
        kind: String(spec.owner.kind ?? 'User'),
        name: String(spec.owner.name),
        apiGroup: 'rbac.authorization.k8s.io',
      };
      if (!subjects.some((s) => s.kind === owner.kind && s.name === owner.name)) subjects.push(owner);
    }
    const binding: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: membersRoleBindingName, namespace, labels: { [projectLabel]: project.metadata.name! } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: projectMemberClusterRole },
      subjects,
    };
    await createOrPatch(this.#client.resource(roleBindingResource), namespace, binding, { subjects });
  }
}

export function projectNamespace(project: KubeObject): string {
  const spec = isRecord(project.spec) ? project.spec : {};
  return typeof spec.namespace === 'string' && spec.namespace ? spec.namespace : `garden-${project.metadata.name}`;
}
