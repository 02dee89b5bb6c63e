/**
 * The Status an apply conflict answers, in Kubernetes' words, because kubectl prints the message
 * as it comes and users search for it: `Apply failed with 1 conflict: conflict with "mgr" using
 * v1: .spec.replicas`, one cause per field (`FieldManagerConflict`, the field's path, the manager).
 */
import { applyConflict, type StatusCause, type StatusError } from '../../api/errors.js';
import { memberPaths, pathString } from './field-set.js';
import type { ManagerEntry } from './managed-fields.js';
import type { Conflict } from './ownership.js';

/** A manager as apimachinery's printManager shows it. */
export function printManager(entry: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>) {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') text += ` using ${entry.apiVersion}`;
  return text;
}

export function applyConflictError(conflicts: readonly Conflict[]): StatusError {
  const sorted = [...conflicts].sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
  const byManager = sorted.map((c) => ({
    manager: printManager(c.entry),
    paths: memberPaths(c.fields).map(pathString),
  }));
  const causes: StatusCause[] = byManager.flatMap(({ manager, paths }) =>
    paths.map((field) => ({ type: 'FieldManagerConflict', message: `conflict with ${manager}`, field })),
  );
  if (causes.length === 1) {
    return applyConflict(
      causes,
      `Apply failed with 1 conflict: conflict with ${byManager[0]!.manager}: ${causes[0]!.field}`,
    );
  }
  const lines = byManager.flatMap(({ manager, paths }) => [
    `conflicts with ${manager}:`,
    ...paths.map((p) => `- ${p}`),
  ]);
  return applyConflict(causes, `Apply failed with ${causes.length} conflicts: ${lines.join('\n')}`);
}
