/**
 * The copier's wait for a final full snapshot in the source (`--wait-for-final-snapshot`): during
 * a migration the source's sidecar writes one last snapshot, and copying before it exists would
 * miss the newest data.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Snapstore, StoredObject } from './snapstore/snapstore.js';

/** How many of the newest full snapshots may carry the final marker (etcd-backup-restore PR #1001). */
const FINAL_SNAPSHOT_CANDIDATES = 4;

/** Checks the source's newest full snapshots every `intervalMs` until one is final or the timeout passes. */
export async function waitForFinalSnapshot(
  source: Snapstore,
  firstListing: StoredObject[],
  options: { timeoutMs: number; intervalMs: number; signal: AbortSignal | undefined; log: Logger },
): Promise<'found' | 'timed-out'> {
  const { timeoutMs, intervalMs, signal, log } = options;
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let listing: StoredObject[] | undefined = firstListing;
  log.info({ source: source.location, timeoutMs }, 'waiting for a final full snapshot');
  for (;;) {
    if (listing) {
      const final = listing
        .filter((o) => o.snapshot.kind === 'Full')
        .slice(-FINAL_SNAPSHOT_CANDIDATES)
        .find((o) => o.snapshot.isFinal);
      if (final) {
        log.info({ snapshot: final.snapshot.name }, 'found the final full snapshot');
        return 'found';
      }
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      log.warn({ source: source.location, timeoutMs }, 'timed out waiting for a final full snapshot; copying anyway');
      return 'timed-out';
    }
    await sleep(Math.min(intervalMs, remaining), undefined, signal ? { signal } : {}).catch(() => {
      signal?.throwIfAborted();
    });
    // A store that fails now and then while the source's etcd shuts down must not end the wait.
    listing = await source.list().catch((err: unknown) => {
      log.warn({ source: source.location, err }, 'listing the source failed while waiting for a final snapshot');
      return undefined;
    });
  }
}
