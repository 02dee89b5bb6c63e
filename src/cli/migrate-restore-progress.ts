/**
 * Follows the numbers the destination seed writes on the moving shoot's BackupEntry while its
 * Restore runs (the annotation `RESTORE_PROGRESS_ANNOTATION`, written by
 * src/seed/gardenlet/restore-progress-reporter.ts): bytes copied from the source's bucket, bytes
 * fetched and keys restored. They only add to what `transplant migrate` shows, so nothing about
 * them can fail a move: a user who may not read BackupEntries (403), an entry or annotation that
 * is not there, a value that does not parse, all just mean no numbers.
 */
import { type BackupEntry, backupEntryResource } from '../api/core-gardener/backup-entry.js';
import {
  parseRestoreProgress,
  RESTORE_PROGRESS_ANNOTATION,
  type RestoreProgressReport,
} from '../api/core-gardener/restore-progress.js';
import type { Client } from '../client/client.js';
import { watchObject } from './migrate-watch.js';

export interface FollowRestoreProgressOptions {
  /** Ends the following. */
  signal: AbortSignal;
  /** Told each new report, never after `signal` aborted. */
  onReport: (report: RestoreProgressReport) => void;
}

/**
 * Reports the entry `namespace/name`'s restore progress as it changes, until `signal` aborts,
 * the entry is deleted, or the garden refuses to show it; never rejects.
 */
export async function followRestoreProgress(
  garden: Client,
  namespace: string,
  name: string,
  options: FollowRestoreProgressOptions,
): Promise<void> {
  const { signal, onReport } = options;
  let seen: string | undefined;
  try {
    const versions = watchObject<BackupEntry>(garden.resource(backupEntryResource), namespace, name, { signal });
    for await (const entry of versions) {
      if (entry === null || signal.aborted) return;
      const value = entry.metadata.annotations?.[RESTORE_PROGRESS_ANNOTATION];
      if (value === seen) continue;
      seen = value;
      const report = parseRestoreProgress(value);
      if (report) onReport(report);
    }
  } catch {
    // 403 (project members may read BackupEntries, other users perhaps not), a kind not served.
  }
}
