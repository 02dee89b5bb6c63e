/**
 * Building blocks of the built-in kinds' columns (k8s pkg/printers/internalversion/printers.go):
 * a column from a name and a cell, the -o wide CONTAINERS, IMAGES and SELECTOR of a pod
 * template, reading nested fields without trusting their shape, and ages of timestamps.
 */
import { formatLabelSelector, type LabelSelector } from '../../api/label-selector.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { TableColumn } from '../../apiserver/types.js';
import { humanAge } from '../columns.js';

type Cell = TableColumn['cell'];

/** A column shown by `kubectl get` (priority 0) or only with -o wide (`wide`). */
export function column(
  name: string,
  cell: Cell,
  options: { wide?: boolean; type?: TableColumn['type']; description?: string } = {},
): TableColumn {
  return {
    name,
    type: options.type ?? 'string',
    ...(options.description ? { description: options.description } : {}),
    ...(options.wide ? { priority: 1 } : {}),
    cell,
  };
}

/** The value at a dotted path (`status.readyReplicas`), or undefined. */
export function at(obj: unknown, path: string): unknown {
  let value: unknown = obj;
  for (const key of path.split('.')) {
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  return value;
}

/** A number at `path`, 0 when absent. */
export function count(obj: unknown, path: string): number {
  const value = at(obj, path);
  return typeof value === 'number' ? value : 0;
}

/** A string at `path`, or `fallback`. */
export function text(obj: unknown, path: string, fallback = '<none>'): string {
  const value = at(obj, path);
  return value === undefined || value === null || value === '' ? fallback : String(value);
}

/** The age of the timestamp at `path`, or <none>. */
export function ageAt(obj: unknown, path: string): string {
  const value = at(obj, path);
  return typeof value === 'string' ? humanAge(value) : '<none>';
}

/** The length of the list at `path`. */
export function lengthAt(obj: unknown, path: string): number {
  const value = at(obj, path);
  return Array.isArray(value) ? value.length : 0;
}

/** The -o wide CONTAINERS and IMAGES of the pod spec at `specPath` (`spec.template.spec`). */
export function templateColumns(specPath: string): TableColumn[] {
  const containers = (obj: KubeObject) => {
    const list = at(obj, `${specPath}.containers`);
    return Array.isArray(list) ? (list as { name?: string; image?: string }[]) : [];
  };
  return [
    column(
      'CONTAINERS',
      (obj) =>
        containers(obj)
          .map((c) => c.name ?? '')
          .join(',') || '<none>',
      { wide: true },
    ),
    column(
      'IMAGES',
      (obj) =>
        containers(obj)
          .map((c) => c.image ?? '')
          .join(',') || '<none>',
      { wide: true },
    ),
  ];
}

/** The -o wide SELECTOR of a label selector at `spec.selector`. */
export const selectorColumn: TableColumn = column(
  'SELECTOR',
  (obj) => formatLabelSelector(at(obj, 'spec.selector') as LabelSelector | undefined),
  { wide: true },
);
