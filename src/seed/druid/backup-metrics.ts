/**
 * etcd-backup-restore's metrics (`pkg/metrics/metrics.go`) for the backup sidecars the seed runs,
 * on the seed's `/metrics`. etcd-backup-restore runs one sidecar per process; a seed runs one per
 * Etcd, so every series also carries the Etcd's `namespace` (the shoot's control-plane namespace,
 * its technical ID) and `etcd` (its name) — what Prometheus' target labels add to the sidecar's
 * own series on Kubernetes.
 *
 * - `etcdbr_snapshot_latest_revision{namespace,etcd,kind}` and `etcdbr_snapshot_latest_timestamp`
 *   (gauges; `kind` Full or Incr): the newest snapshot's last revision and creation time (Unix
 *   seconds), found in the store when the sidecar starts and updated with each one saved; gone
 *   when the sidecar stops (its etcd moved away or was deleted), so no alert watches a backup
 *   that is no longer this seed's.
 * - `etcdbr_snapshot_duration_seconds{namespace,etcd,kind,succeeded}` (histogram): each snapshot
 *   attempt; `succeeded="false"` counts the failed ones.
 * - `etcdbr_restoration_duration_seconds{namespace,etcd,succeeded}` (histogram): each restore of
 *   a data dir from the store.
 *
 * Buckets are client_golang's defaults, which etcd-backup-restore uses.
 */
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { SnapshotterObserver } from '../../backup/snapshotter/snapshotter-observer.js';
import type { RestorationObserver } from './etcd-backup.js';

/** client_golang's `DefBuckets`. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SNAPSHOT_KINDS = ['Full', 'Incr'] as const;

/** Which Etcd a sidecar backs up. */
export interface EtcdRef {
  namespace: string;
  etcd: string;
}

export class BackupMetrics {
  readonly #latestRevision: Gauge<'namespace' | 'etcd' | 'kind'>;
  readonly #latestTimestamp: Gauge<'namespace' | 'etcd' | 'kind'>;
  readonly #snapshotDuration: Histogram<'namespace' | 'etcd' | 'kind' | 'succeeded'>;
  readonly #restorationDuration: Histogram<'namespace' | 'etcd' | 'succeeded'>;

  constructor(registry: Registry) {
    this.#latestRevision = new Gauge({
      name: 'etcdbr_snapshot_latest_revision',
      help: 'Revision number of latest snapshot taken.',
      labelNames: ['namespace', 'etcd', 'kind'],
      registers: [registry],
    });
    this.#latestTimestamp = new Gauge({
      name: 'etcdbr_snapshot_latest_timestamp',
      help: 'Timestamp of latest snapshot taken.',
      labelNames: ['namespace', 'etcd', 'kind'],
      registers: [registry],
    });
    this.#snapshotDuration = new Histogram({
      name: 'etcdbr_snapshot_duration_seconds',
      help: 'Total latency distribution of saving snapshot to object store.',
      labelNames: ['namespace', 'etcd', 'kind', 'succeeded'],
      buckets: DEFAULT_BUCKETS,
      registers: [registry],
    });
    this.#restorationDuration = new Histogram({
      name: 'etcdbr_restoration_duration_seconds',
      help: 'Total latency distribution of restoring from snapshot.',
      labelNames: ['namespace', 'etcd', 'succeeded'],
      buckets: DEFAULT_BUCKETS,
      registers: [registry],
    });
  }

  /** What the snapshotter of `ref`'s sidecar reports to. */
  snapshotterObserver(ref: EtcdRef): SnapshotterObserver {
    return {
      snapshotAttempted: (kind, succeeded, seconds) =>
        this.#snapshotDuration.observe({ ...ref, kind, succeeded: String(succeeded) }, seconds),
      latestSnapshot: (snapshot) => {
        this.#latestRevision.set({ ...ref, kind: snapshot.kind }, snapshot.lastRevision);
        this.#latestTimestamp.set({ ...ref, kind: snapshot.kind }, snapshot.createdOn);
      },
    };
  }

  /** What restores of `ref`'s data dir report to. */
  restorationObserver(ref: EtcdRef): RestorationObserver {
    return (succeeded, seconds) => this.#restorationDuration.observe({ ...ref, succeeded: String(succeeded) }, seconds);
  }

  /** The sidecar of `ref` stopped: its latest snapshots are no longer this seed's to report. */
  sidecarStopped(ref: EtcdRef): void {
    for (const kind of SNAPSHOT_KINDS) {
      this.#latestRevision.remove({ ...ref, kind });
      this.#latestTimestamp.remove({ ...ref, kind });
    }
  }
}
