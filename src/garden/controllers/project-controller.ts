/**
 * The project controller of the garden controller manager: each Project gets its namespace
 * (`spec.namespace`, by default `garden-<name>`) and a RoleBinding that makes its members
 * project members there.
 */
import { namespaceResource } from '../../api/core/namespace.js';
import { type Project, projectNamespace, projectResource } from '../../api/core-gardener/project.js';
import type { KubeObject } from '../../api/meta.js';
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
    if (project.status?.phase !== 'Ready' || project.status.observedGeneration !== project.metadata.generation) {
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

  async #ensureMembers(namespace: string, project: Project): Promise<void> {
    const subjects = (project.spec?.members ?? []).map((m) => ({
      kind: m.kind ?? 'User',
      name: m.name,
      ...(m.kind === 'ServiceAccount'
        ? { namespace: m.namespace ?? namespace }
        : { apiGroup: 'rbac.authorization.k8s.io' }),
    }));
    const owner = project.spec?.owner;
    if (owner?.name) {
      const subject = { kind: owner.kind ?? 'User', name: owner.name, apiGroup: 'rbac.authorization.k8s.io' };
      if (!subjects.some((s) => s.kind === subject.kind && s.name === subject.name)) subjects.push(subject);
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
