/**
 * The snapshotter's settings: what a caller may set (`SnapshotterOptions`, mirroring
 * etcd-backup-restore's flags and etcd-druid's `spec.backup`), the defaults those use, and the
 * resolved, frozen settings the snapshotter runs with.
 */
import type { Logger } from 'pino';
import type { GarbageCollectionPolicy } from '../garbage-collector.js';
import type { Snapstore } from '../snapstore/snapstore.js';
import type { EtcdConnection } from './etcd-connection.js';
import { CronSchedule } from './schedule.js';
import type { SnapshotterObserver } from './snapshotter-observer.js';

export interface SnapshotterOptions {
  etcd: EtcdConnection;
  store: Snapstore;
  logger: Logger;
  /** Cron schedule (5 fields, UTC) of full snapshots; default `0 *\/1 * * *` (hourly). */
  fullSnapshotSchedule?: string;
  /** How often buffered events are saved as a delta; default 20 s; below 1 s disables deltas. */
  deltaSnapshotPeriodMs?: number;
  /** Buffered event bytes that trigger a delta before the period ends; default 100 MiB. */
  deltaSnapshotMemoryLimit?: number;
  /** Default none (etcd-druid's `spec.backup.compression.enabled: false`). */
  compression?: 'gzip' | 'none';
  garbageCollection?: {
    policy: GarbageCollectionPolicy;
    /** LimitBased: full snapshots kept; default 7. */
    maxBackups?: number;
    /** Default 60 s; below 1 s disables garbage collection. */
    periodMs?: number;
    /** How long deltas of older full snapshots are kept; default 0. */
    deltaRetentionMs?: number;
  };
  /** Where full snapshots are spooled before the upload; default the system temp dir. */
  tempDir?: string;
  /** Limit for one snapshot (stream and upload); default 15 min (etcd-druid's). */
  snapshotTimeoutMs?: number;
  /**
   * Start with a full snapshot whatever the schedule says: the sidecar of a multi-member etcd
   * has moved to another member (a new leader), and no delta may span two members.
   */
  startWithFullSnapshot?: boolean;
  /** Told of every snapshot attempt and the latest snapshots (the seed's metrics); none: nobody. */
  observer?: SnapshotterObserver;
}

const DEFAULTS = Object.freeze({
  fullSnapshotSchedule: '0 */1 * * *',
  deltaSnapshotPeriodMs: 20_000,
  deltaSnapshotMemoryLimit: 100 * 1024 * 1024,
  compression: 'none' as const,
  garbageCollectionPolicy: 'Exponential' as const,
  garbageCollectionPeriodMs: 60_000,
  snapshotTimeoutMs: 15 * 60_000,
});

/** Periods below this disable deltas and garbage collection, as in etcd-backup-restore. */
export const MIN_PERIOD_MS = 1_000;

/** The settings after defaults, as the snapshotter uses them. */
export interface SnapshotterSettings {
  readonly schedule: CronSchedule;
  readonly deltaPeriodMs: number;
  readonly memoryLimit: number;
  readonly compression: 'gzip' | 'none';
  readonly gc: Readonly<Required<NonNullable<SnapshotterOptions['garbageCollection']>>>;
  readonly tempDir: string | undefined;
  readonly timeoutMs: number;
}

/** Fills in the defaults; throws ScheduleSyntaxError for a bad `fullSnapshotSchedule`. */
export function resolveSnapshotterSettings(options: SnapshotterOptions): SnapshotterSettings {
  return Object.freeze({
    schedule: CronSchedule.parse(options.fullSnapshotSchedule ?? DEFAULTS.fullSnapshotSchedule),
    deltaPeriodMs: options.deltaSnapshotPeriodMs ?? DEFAULTS.deltaSnapshotPeriodMs,
    memoryLimit: options.deltaSnapshotMemoryLimit ?? DEFAULTS.deltaSnapshotMemoryLimit,
    compression: options.compression ?? DEFAULTS.compression,
    gc: Object.freeze({
      policy: options.garbageCollection?.policy ?? DEFAULTS.garbageCollectionPolicy,
      maxBackups: options.garbageCollection?.maxBackups ?? 7,
      periodMs: options.garbageCollection?.periodMs ?? DEFAULTS.garbageCollectionPeriodMs,
      deltaRetentionMs: options.garbageCollection?.deltaRetentionMs ?? 0,
    }),
    tempDir: options.tempDir,
    timeoutMs: options.snapshotTimeoutMs ?? DEFAULTS.snapshotTimeoutMs,
  });
}
