/**
 * What a snapshotter tells whoever watches it (the seed's etcd-backup-restore metrics): each
 * snapshot attempt with its kind, outcome and duration, and the newest snapshot of each kind it
 * knows of — found in the store when it starts, then each one it saves. The snapshotter only says
 * what happened; what becomes of it (metric names, labels) is the watcher's business.
 */
import type { Snapshot, SnapshotKind } from '../snapstore/snapstore.js';

export interface SnapshotterObserver {
  /** A full snapshot, or a delta that had events to save, ended after `seconds`; `succeeded` false when it threw. */
  snapshotAttempted(kind: SnapshotKind, succeeded: boolean, seconds: number): void;
  /** The newest snapshot of its kind in the store: found at start, or just saved. */
  latestSnapshot(snapshot: Snapshot): void;
}
