/**
 * What the RBAC kinds' definitions share: their names are path segments (k8s `ValidateRBACName`:
 * `system:controller:foo` is valid), they have no status, and the roles' and the bindings'
 * columns as k8s prints them.
 */
import { isRecord } from '../../api/meta.js';
import { humanAge } from '../../apiserver/table.js';
import type { ResourceDefinition, TableColumn } from '../../apiserver/types.js';
import { rbacFieldTypes } from '../field-types.js';

/** The parts of a definition every RBAC kind has in common. */
export const rbacDefinitionBase = {
  hasStatus: false,
  nameRule: 'pathSegment',
  fieldTypes: rbacFieldTypes,
} as const satisfies Partial<ResourceDefinition>;

/** Roles show when they were created (k8s' default table), the server adds AGE. */
export const createdAtColumn: TableColumn = {
  name: 'Created At',
  type: 'date',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (obj) => obj.metadata.creationTimestamp ?? null,
};

/** k8s printers.go `roleBindingsColumnDefinitions`: ROLE as `Kind/name`, then AGE; subjects with -o wide. */
export const bindingColumns: TableColumn[] = [
  {
    name: 'Role',
    type: 'string',
    description: 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
    cell: (obj) => {
      const ref = isRecord(obj.roleRef) ? obj.roleRef : {};
      return `${ref.kind ?? ''}/${ref.name ?? ''}`;
    },
  },
  {
    name: 'Age',
    type: 'string',
    description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
    cell: (obj) => humanAge(obj.metadata.creationTimestamp),
  },
  subjectsColumn('Users', 'Users in the roleBinding', (s) => (s.kind === 'User' ? String(s.name ?? '') : undefined)),
  subjectsColumn('Groups', 'Groups in the roleBinding', (s) => (s.kind === 'Group' ? String(s.name ?? '') : undefined)),
  subjectsColumn('ServiceAccounts', 'ServiceAccounts in the roleBinding', (s) =>
    s.kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name ?? ''}` : undefined,
  ),
];

function subjectsColumn(
  name: string,
  description: string,
  render: (subject: Record<string, unknown>) => string | undefined,
): TableColumn {
  return {
    name,
    type: 'string',
    description,
    priority: 1,
    cell: (obj) => {
      const subjects = Array.isArray(obj.subjects) ? obj.subjects.filter(isRecord) : [];
      const shown = subjects.map(render).filter((s): s is string => s !== undefined);
      return shown.length > 0 ? shown.join(', ') : '';
    },
  };
}
