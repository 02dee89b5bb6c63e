/**
 * Server-side printing (meta.k8s.io/v1 Table): what `kubectl get` shows. Columns come from the
 * ResourceDefinition; NAME comes first and AGE last unless the kind places it.
 */
import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition, TableColumn } from './types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions?: ColumnDefinition[];
  rows: TableRow[];
}

interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

interface TableRow {
  cells: unknown[];
  object?: unknown;
}

const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (obj) => obj.metadata.name ?? '',
};

const ageColumn: TableColumn = {
  name: 'Age',
  type: 'string',
  description: 'The time since the object was created.',
  cell: (obj) => humanAge(obj.metadata.creationTimestamp),
};

export function columnsOf(def: ResourceDefinition): TableColumn[] {
  const own = def.columns ?? [];
  const hasAge = own.some((c) => c.name.toLowerCase() === 'age');
  return [nameColumn, ...own, ...(hasAge || def.omitAgeColumn ? [] : [ageColumn])];
}

export function toTable(
  def: ResourceDefinition,
  objects: readonly KubeObject[],
  listMeta: Table['metadata'],
  options: { includeObject: IncludeObject; noHeaders?: boolean },
): Table {
  const columns = columnsOf(def);
  const table: Table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    rows: objects.map((obj) => ({
      cells: columns.map((c) => safeCell(c, obj)),
      object: rowObject(obj, options.includeObject),
    })),
  };
  if (!options.noHeaders) {
    table.columnDefinitions = columns.map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'string' : c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    }));
  }
  return table;
}

function safeCell(column: TableColumn, obj: KubeObject): unknown {
  try {
    const value = column.cell(obj);
    return value === null || value === undefined ? '<none>' : value;
  } catch {
    return '<unknown>';
  }
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    case 'Metadata': {
      // Unlike Kubernetes, without managedFields: a Table is for display, which never shows
      // them, and they would make `kubectl get` of many objects several times larger.
      const { managedFields: _omitted, ...metadata } = obj.metadata;
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
    }
  }
}

/** kubectl's short duration format: 45s, 12m, 3h4m, 5d, 2y. */
export function humanAge(timestamp: string | undefined, now: number = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

/** True when the Accept header asks for a Table (kubectl get). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}
