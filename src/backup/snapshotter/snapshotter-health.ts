/**
 * The snapshotter's health as the sidecar's `/healthz` reports it: whether the last snapshot
 * attempt succeeded, its error until one does, and the last snapshot saved. Kept apart so that
 * the snapshotter only says what happened and this file decides what is reported.
 */
import type { Snapshot } from '../snapstore/snapstore.js';

export interface SnapshotterHealth {
  /** Running, and the last snapshot attempt succeeded. */
  healthy: boolean;
  /** Why the last snapshot attempt failed, until one succeeds. */
  lastError?: string;
  lastSnapshot?: Snapshot;
  lastSnapshotAt?: Date;
}

/** The outcome of the snapshotter's latest snapshot attempt. */
export class HealthRecord {
  #latest: Omit<SnapshotterHealth, 'healthy'> & { failed: boolean } = { failed: false };

  /** An attempt succeeded; `snapshot` is what it saved, if it saved anything. */
  succeeded(snapshot: Snapshot | undefined): void {
    this.#latest = {
      failed: false,
      ...(snapshot
        ? { lastSnapshot: snapshot, lastSnapshotAt: new Date() }
        : pick(this.#latest, 'lastSnapshot', 'lastSnapshotAt')),
    };
  }

  /** An attempt failed with `message`. */
  failed(message: string): void {
    this.#latest = { ...this.#latest, failed: true, lastError: message };
  }

  /** The health to report; `running` says whether the snapshotter is running. */
  report(running: boolean): SnapshotterHealth {
    const { failed, ...rest } = this.#latest;
    return { healthy: running && !failed, ...rest };
  }
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}
