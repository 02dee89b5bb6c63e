/**
 * Transplant's: how far the destination seed's copy and restore of a moving shoot's etcd backups
 * got, as the value of the annotation `RESTORE_PROGRESS_ANNOTATION` on the shoot's own garden
 * BackupEntry. Gardener's garden has no field for it (the copy is an EtcdCopyBackupsTask in the
 * seed, the restore happens inside etcd-druid), and `transplant migrate` talks to the garden only:
 * the seed writes this small JSON object (src/seed/gardenlet/restore-progress-reporter.ts), the
 * command reads it (src/cli/migrate-restore-progress.ts). The value is written by a seed and read
 * by anyone who may read BackupEntries, so the parser trusts nothing: a value that is not this
 * shape is no report at all, never an error.
 */
import { isRecord } from '../meta.js';

/** The annotation on the shoot's BackupEntry (`<technical id>--<shoot uid>`, never a `source-…` one). */
export const RESTORE_PROGRESS_ANNOTATION = 'backup.transplant.gardener.cloud/restore-progress';

/**
 * One report. `Copy`: the EtcdCopyBackupsTask copies the source seed's backups into this seed's
 * bucket; `Restore`: etcd-main's data dir is restored from them. A Restore report keeps the
 * copy's numbers of the same move where the seed knows them.
 */
export interface RestoreProgressReport {
  phase: 'Copy' | 'Restore';
  /** The phase ended (the copy's last object, the restored data dir in place). */
  done?: boolean;
  /** Bytes of the selected backups in this seed's bucket: copied, or found there already. */
  copiedBytes?: number;
  /** Bytes of the backups the copy selected. */
  copyTotalBytes?: number;
  /** Bytes of snapshot objects the restore fetched from the bucket (as stored: compressed or not). */
  fetchedBytes?: number;
  /** Bytes of the full snapshot and deltas the restore uses. */
  fetchTotalBytes?: number;
  /**
   * Keys in the restored data dir so far: the full snapshot's once etcdctl restored it (its
   * database entries, as `etcdctl snapshot status` counts them), then each delta's events.
   */
  restoredKeys?: number;
  /** The full snapshot's entries plus the deltas' events; absent until known. */
  totalKeys?: number;
  /** When the seed wrote it (RFC 3339, the seed's clock). */
  updated: string;
}

const NUMBER_FIELDS = [
  'copiedBytes',
  'copyTotalBytes',
  'fetchedBytes',
  'fetchTotalBytes',
  'restoredKeys',
  'totalKeys',
] as const satisfies readonly (keyof RestoreProgressReport)[];

/**
 * The report an annotation value holds; undefined for a missing value, one that is not JSON, or
 * one with a field of the wrong kind (a phase it does not know, a negative or non-numeric count,
 * a time that does not parse). Fields it does not know are dropped.
 */
export function parseRestoreProgress(value: string | undefined): RestoreProgressReport | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const { phase, done, updated } = parsed;
  if (phase !== 'Copy' && phase !== 'Restore') return undefined;
  if (done !== undefined && typeof done !== 'boolean') return undefined;
  if (typeof updated !== 'string' || Number.isNaN(Date.parse(updated))) return undefined;
  const report: RestoreProgressReport = { phase, ...(done ? { done } : {}), updated };
  for (const field of NUMBER_FIELDS) {
    const n = parsed[field];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return undefined;
    report[field] = n;
  }
  return report;
}

/** The annotation value of `report`: its fields in a fixed order, so equal reports are equal strings. */
export function formatRestoreProgress(report: RestoreProgressReport): string {
  const ordered: Record<string, unknown> = { phase: report.phase };
  if (report.done) ordered.done = true;
  for (const field of NUMBER_FIELDS) if (report[field] !== undefined) ordered[field] = report[field];
  ordered.updated = report.updated;
  return JSON.stringify(ordered);
}
