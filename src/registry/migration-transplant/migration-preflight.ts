/**
 * MigrationPreflight's definition: spec immutable (one question), status written by the parties
 * that answer (the garden's controller, the gardenlets), and `kubectl get` columns that answer at
 * a glance (the shoot, the target, the phase, how many checks failed).
 */

import { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import {
  isMigrationPreflight,
  type MigrationPreflight,
  migrationPreflightResource,
  PREFLIGHT_CHECK_STATUSES,
  PREFLIGHT_PHASES,
  validateMigrationPreflightSpec,
  validateMigrationPreflightUpdate,
} from '../../api/migration-transplant/migration-preflight.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { ageColumn, kindColumns, kindFields } from '../columns.js';
import { gardenerStrategy, statusSubresource } from '../strategies.js';

const text = (description: string) => ({ type: 'string', description });

/** OpenAPI v3, for `kubectl explain` and server-side apply. */
const schema: Record<string, unknown> = {
  type: 'object',
  description:
    'MigrationPreflight asks whether moving a shoot to a seed would work now; nothing in it changes the shoot.',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['shootName', 'seedName'],
      properties: {
        shootName: text("The shoot, in the preflight's namespace."),
        seedName: text('The seed the shoot would move to.'),
        username: text('Who asked; set by the garden from the request.'),
        uid: text('The UID of who asked; set by the garden from the request.'),
        groups: {
          type: 'array',
          items: { type: 'string' },
          description: 'The groups of who asked; set by the garden.',
        },
      },
    },
    status: {
      type: 'object',
      properties: {
        phase: { type: 'string', enum: [...PREFLIGHT_PHASES], description: 'Pending until every check has an answer.' },
        sourceSeedName: text('The seed the shoot runs on now.'),
        sourceBackupStore: {
          type: 'object',
          description: "Where the source seed keeps its backups (no credentials), for the target seed's probe.",
          properties: { provider: { type: 'string' }, endpoint: { type: 'string' } },
        },
        checks: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name', 'status', 'origin', 'message'],
            properties: {
              name: { type: 'string' },
              status: { type: 'string', enum: [...PREFLIGHT_CHECK_STATUSES] },
              origin: text('Who answered: garden, seed/<name> or node/<name>.'),
              message: { type: 'string' },
              lastUpdateTime: { type: 'string', format: 'date-time' },
            },
          },
        },
        plan: {
          type: 'object',
          properties: {
            mode: { type: 'string', enum: ['classic', 'live'] },
            sourceSteps: { type: 'array', items: { type: 'string' } },
            targetSteps: { type: 'array', items: { type: 'string' } },
            dataBytes: { type: 'integer' },
            expectedDowntimeSeconds: { type: 'number' },
          },
        },
        completionTime: { type: 'string', format: 'date-time' },
      },
    },
  },
};

/** A status write keeps to the kind's shape (each check named once, a known status). */
function validateStatus(obj: KubeObject): FieldError[] {
  if (obj.status === undefined) return [];
  const problem = isMigrationPreflight.problem(obj);
  if (problem !== undefined) {
    // `path: what is wrong`, the path from the object's root.
    const [path = 'status', ...detail] = problem.replace(/^\./, '').split(': ');
    return [FieldError.invalid(path, undefined, detail.join(': ') || problem)];
  }
  const names = new Set<string>();
  const errs: FieldError[] = [];
  (obj as MigrationPreflight).status?.checks?.forEach((check, i) => {
    if (names.has(check.name)) errs.push(FieldError.duplicate(`status.checks[${i}].name`, check.name));
    names.add(check.name);
  });
  return errs;
}

const failedChecks = (preflight: MigrationPreflight) =>
  (preflight.status?.checks ?? []).filter((c) => c.status === 'Failed').length;

export const migrationPreflightDefinition: ResourceDefinition = {
  ...migrationPreflightResource,
  schema,
  listKind: 'MigrationPreflightList',
  singular: 'migrationpreflight',
  shortNames: ['mpf'],
  strategy: gardenerStrategy({
    validate: (obj) => validateMigrationPreflightSpec(obj.spec),
    validateUpdate: validateMigrationPreflightUpdate,
  }),
  subresources: [statusSubresource(undefined, validateStatus)],
  hasStatus: true,
  columns: kindColumns(migrationPreflightResource, [
    { name: 'SHOOT', type: 'string', cell: (p) => p.spec.shootName },
    { name: 'FROM', type: 'string', cell: (p) => p.status?.sourceSeedName ?? '' },
    { name: 'TO', type: 'string', cell: (p) => p.spec.seedName },
    { name: 'PHASE', type: 'string', cell: (p) => p.status?.phase ?? 'Pending' },
    { name: 'FAILED', type: 'integer', description: 'Checks that failed.', cell: failedChecks },
    { name: 'MODE', type: 'string', priority: 1, cell: (p) => p.status?.plan?.mode ?? '' },
    { name: 'REQUESTER', type: 'string', priority: 1, cell: (p) => p.spec.username ?? '' },
    ageColumn,
  ]),
  selectableFields: kindFields(migrationPreflightResource, {
    'spec.shootName': (p) => p.spec.shootName,
    'spec.seedName': (p) => p.spec.seedName,
    'status.sourceSeedName': (p) => p.status?.sourceSeedName ?? '',
  }),
};
