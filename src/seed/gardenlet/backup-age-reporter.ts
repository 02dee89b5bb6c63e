/**
 * Tells the garden how old each hosted shoot's newest backup is: Gardener's garden knows nothing
 * of snapshots (etcd-druid keeps them in the seed, as snapshot Leases), so the garden's dashboard
 * would have no backup age to show. Every interval, for each garden BackupEntry this seed hosts
 * (`status.seedName`), the newest snapshot the shoot's backup sidecar saved is written as the
 * entry's annotation `LATEST_SNAPSHOT_ANNOTATION` when the entry has none yet or the snapshot is
 * a step newer than what it says: the age the garden shows is never younger than the truth and
 * at most a step (a minute) older, and a shoot costs the garden at most one write per step, not
 * one per delta snapshot (every 20 s). A shoot whose backups stopped gets no write: its age grows,
 * which is the point. A sidecar that has saved nothing since the seed started reports nothing,
 * and the annotation keeps the last time told (still true: no newer snapshot is known here).
 */
import type { Logger } from 'pino';
import {
  BACKUP_SOURCE_PREFIX,
  type BackupEntry,
  backupEntryResource,
  LATEST_SNAPSHOT_ANNOTATION,
} from '../../api/core-gardener/backup-entry.js';
import type { Client } from '../../client/client.js';

export interface BackupAgeReporterOptions {
  seed: string;
  garden: Client;
  /** When the newest snapshot of the etcd in this control-plane namespace was taken, if one was saved here. */
  latestSnapshot: (controlPlaneNamespace: string) => Date | undefined;
  logger: Logger;
  /** How often the snapshots are looked at (one list of this seed's entries in the garden); default 10 s. */
  intervalMs?: number;
}

/** How much newer a snapshot must be than the one an entry shows to be written. */
export const SNAPSHOT_REPORT_STEP_MS = 60_000;

/** The annotation writes one round makes: each entry without one, or a step behind its newest snapshot. */
export function snapshotAnnotations(
  entries: readonly BackupEntry[],
  latestSnapshot: (controlPlaneNamespace: string) => Date | undefined,
): { namespace: string; name: string; at: string }[] {
  return entries.flatMap((entry) => {
    const { namespace, name, annotations } = entry.metadata;
    const controlPlane = controlPlaneOf(entry);
    const latest = controlPlane ? latestSnapshot(controlPlane) : undefined;
    if (!namespace || !name || !latest) return [];
    const shown = Date.parse(annotations?.[LATEST_SNAPSHOT_ANNOTATION] ?? '');
    if (latest.getTime() - shown < SNAPSHOT_REPORT_STEP_MS) return [];
    return [{ namespace, name, at: latest.toISOString() }];
  });
}

/**
 * The control-plane namespace of a shoot's own entry, `<technical id>--<shoot uid>` (the shoot is
 * its controller owner); none for a Restore's `source-…` entry, whose backups are a copy.
 */
function controlPlaneOf(entry: BackupEntry): string | undefined {
  const name = entry.metadata.name ?? '';
  const uid = entry.metadata.ownerReferences?.find((o) => o.controller)?.uid;
  if (!uid || name.startsWith(`${BACKUP_SOURCE_PREFIX}-`) || !name.endsWith(`--${uid}`)) return undefined;
  return name.slice(0, -`--${uid}`.length);
}

export class BackupAgeReporter {
  readonly #options: BackupAgeReporterOptions;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;

  constructor(options: BackupAgeReporterOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#round ??= this.report()
        .catch((err: unknown) =>
          this.#options.logger.warn({ err: (err as Error).message }, 'could not report backup ages to the garden'),
        )
        .finally(() => {
          this.#round = undefined;
        });
    }, this.#options.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One round: reads this seed's entries and writes the annotations that changed. */
  async report(): Promise<void> {
    const entries = this.#options.garden.resource(backupEntryResource);
    const hosted = await entries.list('', { fieldSelector: `status.seedName=${this.#options.seed}` });
    for (const { namespace, name, at } of snapshotAnnotations(hosted.items, this.#options.latestSnapshot)) {
      await entries.patch(namespace, name, { metadata: { annotations: { [LATEST_SNAPSHOT_ANNOTATION]: at } } });
    }
  }
}
