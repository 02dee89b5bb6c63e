/**
 * The garden's shoot metrics, with the names and labels of Gardener's gardener-metrics-exporter
 * (`pkg/metrics/shoot.go`), computed at scrape time from the Shoots and Projects in the garden's
 * store: nothing is kept between scrapes, so the numbers are those of the objects, never of
 * events a restart lost.
 *
 * - `garden_shoot_operation_states{name,project,operation,technical_id}`: one series per shoot
 *   and operation type (Create, Reconcile, Delete, Migrate, Restore); the current
 *   `lastOperation`'s type has its state's number (1 Succeeded, 2 Processing, 3 Pending,
 *   4 Aborted, 5 Error, 6 Failed), the other types 0.
 * - `garden_shoot_operation_progress_percent{…same}`: the current operation's progress, 0 for the others.
 * - `garden_shoot_operations_total{operation,state,iaas,seed,version,region}`: how many shoots
 *   have that last operation in that state.
 * - `garden_shoot_info{name,project,iaas,version,region,seed,shoot_uid,failure_tolerance,technical_id,is_hibernated}`:
 *   0, information in the labels (a subset of the exporter's).
 *
 * As the exporter, shoots without `spec.seedName` (not scheduled yet) are left out, and a scrape
 * whose read fails (a malformed Shoot) shows no shoot series and counts
 * `garden_scrape_failure_total{kind="shoots"}`: the rest of `/metrics` is still served.
 */

import { Counter, Gauge, type Registry } from 'prom-client';
import { LAST_OPERATION_TYPES, type LastOperationState } from '../api/core-gardener/common.js';
import { type Project, projectNamespace } from '../api/core-gardener/project.js';
import type { Shoot } from '../api/core-gardener/shoot.js';

/** The exporter's numbers for `lastOperation.state`. */
export const OPERATION_STATE_VALUES: Readonly<Record<LastOperationState, number>> = Object.freeze({
  Succeeded: 1,
  Processing: 2,
  Pending: 3,
  Aborted: 4,
  Error: 5,
  Failed: 6,
});

/** What the metrics are computed from, read anew at every scrape. */
export interface GardenObjects {
  shoots: readonly Shoot[];
  projects: readonly Project[];
}

const SHOOT_LABELS = ['name', 'project', 'operation', 'technical_id'] as const;
const OPERATIONS_TOTAL_LABELS = ['operation', 'state', 'iaas', 'seed', 'version', 'region'] as const;
const INFO_LABELS = [
  'name',
  'project',
  'iaas',
  'version',
  'region',
  'seed',
  'shoot_uid',
  'failure_tolerance',
  'technical_id',
  'is_hibernated',
] as const;

/**
 * Registers the shoot gauges in `registry`; each scrape reads the objects once through `read`
 * (the four gauges are collected together and share one read).
 */
export function registerShootMetrics(registry: Registry, read: () => Promise<GardenObjects>): void {
  const failures = new Counter({
    name: 'garden_scrape_failure_total',
    help: 'Total count of scraping failures, grouped by kind/group of metric(s)',
    labelNames: ['kind'],
    registers: [registry],
    // Collected with the gauges, after this scrape's read: a failure counts in the same scrape.
    async collect() {
      await current();
    },
  });
  let reading: Promise<ShootRow[]> | undefined;
  /** This scrape's rows, read once for the four gauges; none when the read failed. */
  const current = (): Promise<ShootRow[]> => {
    reading ??= read()
      .then(shootRows, () => {
        failures.inc({ kind: 'shoots' });
        return [];
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  /** A gauge with one series per shoot and operation type, valued by `value`. */
  const perOperation = (name: string, help: string, value: (op: ShootOperationRow) => number) =>
    new Gauge({
      name,
      help,
      labelNames: SHOOT_LABELS,
      registers: [registry],
      async collect() {
        const rows = await current();
        this.reset();
        for (const row of rows)
          for (const op of row.operations) this.set({ ...row.labels, operation: op.operation }, value(op));
      },
    });
  perOperation(
    'garden_shoot_operation_states',
    "Operation state of a Shoot. Possible values: 1=Succeeded|2=Processing|3=Pending|4=Aborted|5=Error|6=Failed. Available operations: 'Create'|'Reconcile'|'Delete'|'Restore'|'Migrate'.",
    (op) => op.state,
  );
  perOperation(
    'garden_shoot_operation_progress_percent',
    'Operation progress percent of a Shoot.',
    (op) => op.progress,
  );
  new Gauge({
    name: 'garden_shoot_operations_total',
    help: 'Count of ongoing operations.',
    labelNames: OPERATIONS_TOTAL_LABELS,
    registers: [registry],
    async collect() {
      const rows = await current();
      this.reset();
      for (const row of rows) if (row.total) this.inc(row.total);
    },
  });
  new Gauge({
    name: 'garden_shoot_info',
    help: 'Information about a Shoot.',
    labelNames: INFO_LABELS,
    registers: [registry],
    async collect() {
      const rows = await current();
      this.reset();
      for (const row of rows) this.set(row.info, 0);
    },
  });
}

/** What the gauges show of one shoot. */
/** One operation type of a shoot: its exporter state number and progress (0 when not current). */
interface ShootOperationRow {
  operation: string;
  state: number;
  progress: number;
}

interface ShootRow {
  labels: { name: string; project: string; technical_id: string };
  /** Every operation type with its state number and progress (0 unless it is the current one). */
  operations: ShootOperationRow[];
  /** Its series of `garden_shoot_operations_total`, when it has a last operation. */
  total: Record<(typeof OPERATIONS_TOTAL_LABELS)[number], string> | undefined;
  info: Record<(typeof INFO_LABELS)[number], string>;
}

/** One row per scheduled shoot. */
export function shootRows(objects: GardenObjects): ShootRow[] {
  const projectOf = new Map(objects.projects.map((p) => [projectNamespace(p), p.metadata.name ?? '']));
  const rows: ShootRow[] = [];
  for (const shoot of objects.shoots) {
    const seed = shoot.spec.seedName;
    if (!seed) continue;
    const namespace = shoot.metadata.namespace ?? '';
    const project = projectOf.get(namespace) ?? namespace.replace(/^garden-/, '');
    const name = shoot.metadata.name ?? '';
    const last = shoot.status?.lastOperation;
    const iaas = shoot.spec.provider?.type ?? '';
    const version = shoot.spec.kubernetes?.version ?? '';
    const region = shoot.spec.region ?? '';
    const technicalId = shoot.status?.technicalID ?? '';
    rows.push({
      labels: { name, project, technical_id: technicalId },
      operations: LAST_OPERATION_TYPES.map((operation) => ({
        operation,
        state: last?.type === operation ? (OPERATION_STATE_VALUES[last.state] ?? 0) : 0,
        progress: last?.type === operation ? (last.progress ?? 0) : 0,
      })),
      total: last ? { operation: last.type, state: last.state, iaas, seed, version, region } : undefined,
      info: {
        name,
        project,
        iaas,
        version,
        region,
        seed,
        shoot_uid: shoot.metadata.uid ?? '',
        failure_tolerance: shoot.spec.controlPlane?.highAvailability?.failureTolerance?.type ?? '',
        technical_id: technicalId,
        is_hibernated: String(shoot.status?.hibernated === true),
      },
    });
  }
  return rows;
}
