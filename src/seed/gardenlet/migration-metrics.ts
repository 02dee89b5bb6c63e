/**
 * Transplant's migration metrics on the seed's `/metrics` (Gardener has none of these names):
 *
 * - `transplant_migration_step_duration_seconds{shoot,flow,step}` (gauge): how long the latest
 *   run of each step of a migration flow (Migrate, Restore, the live migration's source,
 *   destination and abort flows) took on this seed, succeeded or not; `flow` is the graph's
 *   name, `step` the step's sentence as in docs/flow-steps.md.
 * - `transplant_migration_api_downtime_seconds{shoot}` (gauge): the latest classic migration's
 *   downtime of the shoot's API, from when the source's kube-apiserver stopped taking
 *   connections to when the destination's listened (both seeds' clocks), set by the destination.
 * - `transplant_migration_backup_bytes_copied_total{shoot}` (counter): bytes of backups the
 *   destination's EtcdCopyBackupsTasks copied from the source's bucket.
 *
 * `shoot` is `<namespace>/<name>` of the Shoot in the garden. The series stay after the shoot
 * left this seed: the Migrate's numbers matter once it is over.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FlowHooks } from '../../flow/flow.js';

export class MigrationMetrics {
  readonly #steps: Gauge<'shoot' | 'flow' | 'step'>;
  readonly #downtime: Gauge<'shoot'>;
  readonly #bytesCopied: Counter<'shoot'>;

  constructor(registry: Registry) {
    this.#steps = new Gauge({
      name: 'transplant_migration_step_duration_seconds',
      help: "Duration in seconds of the latest run of each step of a shoot's migration flows on this seed, succeeded or failed.",
      labelNames: ['shoot', 'flow', 'step'],
      registers: [registry],
    });
    this.#downtime = new Gauge({
      name: 'transplant_migration_api_downtime_seconds',
      help: "Seconds the shoot's API was unreachable in its latest migration: from the source's kube-apiserver stopping to the destination's listening.",
      labelNames: ['shoot'],
      registers: [registry],
    });
    this.#bytesCopied = new Counter({
      name: 'transplant_migration_backup_bytes_copied_total',
      help: "Bytes of etcd backups copied from the source seed's bucket into this seed's for a shoot's migration.",
      labelNames: ['shoot'],
      registers: [registry],
    });
  }

  /** Flow hooks that record the duration of every step of `shoot`'s migration flow. */
  stepHooks(shoot: string): FlowHooks {
    return {
      taskEnded: (flow, step, outcome) => this.#steps.set({ shoot, flow, step }, outcome.seconds),
    };
  }

  apiDowntime(shoot: string, seconds: number): void {
    this.#downtime.set({ shoot }, seconds);
  }

  backupBytesCopied(shoot: string, bytes: number): void {
    if (bytes > 0) this.#bytesCopied.inc({ shoot }, bytes);
  }
}
