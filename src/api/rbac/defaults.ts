/** v1 defaulting of the RBAC kinds (k8s `pkg/apis/rbac/v1/defaults.go`). */
import { isRecord, type KubeObject } from '../meta.js';
import { rbacGroup } from './types.js';

/** k8s v1 defaults: `roleRef.apiGroup` and User/Group subjects' `apiGroup` are the RBAC group. Mutates. */
export function defaultBinding(obj: KubeObject): void {
  if (isRecord(obj.roleRef) && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = rbacGroup;
  if (!Array.isArray(obj.subjects)) return;
  for (const subject of obj.subjects) {
    if (isRecord(subject) && !subject.apiGroup && (subject.kind === 'User' || subject.kind === 'Group')) {
      subject.apiGroup = rbacGroup;
    }
  }
}
