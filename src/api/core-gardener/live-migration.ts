/**
 * Live control plane migration (GEP-39, docs/live-migration.md): the shoot annotations that ask
 * for and abort one, and the record both seeds keep of its progress.
 *
 * The record is one `spec.gardener[]` entry of the shoot's ShootState (name and type
 * `live-migration`): the garden object both gardenlets may read and write while a shoot is being
 * moved (the seed authorizer allows it for the seeds of `spec.seedName` and `status.seedName`).
 * Every write is an update with the ShootState's resourceVersion, so two writers never overwrite
 * each other, and each seed writes a phase before it acts on it, so a restarted gardenlet finds
 * where it stopped.
 */
import { aNumber, aString, type Check, conforms, listOf, oneOf, optional, shape } from '../kind-guard.js';
import { isRecord } from '../meta.js';
import type { GardenerResourceData, ShootState } from './shoot-state.js';

/** Gardener's annotation (`v1beta1constants.AnnotationLiveMigrate`): set to "true" before the binding. */
export const LIVE_MIGRATE_ANNOTATION = 'migration.gardener.cloud/live-migrate';
/** GEP-39's abort: honoured only before the point of no return. */
export const ABORT_LIVE_MIGRATION_ANNOTATION = 'migration.gardener.cloud/abort-live-migration';
/**
 * Transplant's opt-in: when live migration is impossible (no etcd peer connectivity between the
 * seeds), run the classic migration instead of refusing the binding. Value "true".
 */
export const LIVE_MIGRATE_FALLBACK_ANNOTATION = 'migration.transplant.gardener.cloud/fallback-to-classic';
/**
 * Set by the garden with `live-migrate: "false"` in the binding that fell back to the classic
 * migration: why the live one was impossible (the shoot-migration controller's Event repeats it).
 */
export const LIVE_MIGRATE_FALLBACK_REASON_ANNOTATION = 'migration.transplant.gardener.cloud/classic-fallback-reason';

/** The ShootState entry's name and type. */
export const LIVE_MIGRATION_ENTRY = 'live-migration';

/**
 * The phases in order. The source writes `Preparing` and `SourceReleased`; the destination writes
 * every other one. `SwitchingEndpoint` is the point of no return: before it, clients reach only
 * the source's API server and an abort removes the destination's members; from it on, the way
 * back is a live migration back.
 */
export const LIVE_MIGRATION_PHASES = [
  'Preparing',
  'JoiningMembers',
  'MembersJoined',
  'DestinationServing',
  'DestinationHashed',
  'SwitchingEndpoint',
  'EndpointSwitched',
  'LeaderMoved',
  'SourceReleased',
  'Verified',
  'RemovingSourceMembers',
  'SourceMembersRemoved',
  'Completed',
] as const;
export type LiveMigrationPhase = (typeof LIVE_MIGRATION_PHASES)[number] | 'Aborting' | 'Aborted';

export const POINT_OF_NO_RETURN: LiveMigrationPhase = 'SwitchingEndpoint';

/** An etcd member as the other seed reaches it. */
export interface LiveEtcdMember {
  name: string;
  /** Decimal member ID as etcd's JSON gateway prints it; absent until known. */
  id?: string;
  peerURLs: string[];
  clientURLs: string[];
}

/** One side's etcd clusters, by Etcd name (`etcd-main`, `etcd-events`). */
export type LiveEtcdMembers = Record<string, LiveEtcdMember[]>;

export interface LiveMigrationRecord {
  sourceSeed: string;
  destinationSeed: string;
  phase: LiveMigrationPhase;
  /** RFC 3339 time of the last phase change. */
  phaseTime: string;
  source: { etcd: LiveEtcdMembers };
  destination?: { etcd?: LiveEtcdMembers; step?: string; progress?: number };
  /**
   * A destination member's key-space hash at one revision, taken before the switch; `Verified`
   * once a source member, no longer serving clients, hashes the same at that revision.
   */
  verification?: { revision: number; hash: number };
  /** Why the migration stopped or was aborted. */
  message?: string;
}

const aMember: Check = shape<LiveEtcdMember>({
  name: aString,
  id: optional(aString),
  peerURLs: listOf(aString),
  clientURLs: listOf(aString),
});

const aMemberMap: Check = (value, path) => {
  if (!isRecord(value)) return `${path}: must be an object of member lists`;
  for (const [name, members] of Object.entries(value)) {
    const problem = listOf(aMember)(members, `${path}.${name}`);
    if (problem) return problem;
  }
  return undefined;
};

/** The check of a record read back from the garden. */
export const aLiveMigrationRecord: Check = shape<LiveMigrationRecord>({
  sourceSeed: aString,
  destinationSeed: aString,
  phase: oneOf([...LIVE_MIGRATION_PHASES, 'Aborting', 'Aborted']),
  phaseTime: aString,
  source: shape<LiveMigrationRecord['source']>({ etcd: aMemberMap }),
  destination: optional(
    shape<NonNullable<LiveMigrationRecord['destination']>>({
      etcd: optional(aMemberMap),
      step: optional(aString),
      progress: optional(aNumber),
    }),
  ),
  verification: optional(shape<NonNullable<LiveMigrationRecord['verification']>>({ revision: aNumber, hash: aNumber })),
  message: optional(aString),
});

/** The record in a ShootState, or undefined if there is none (or it is malformed). */
export function liveMigrationRecord(state: ShootState | undefined): LiveMigrationRecord | undefined {
  const entry = state?.spec?.gardener?.find((e) => e.name === LIVE_MIGRATION_ENTRY);
  return entry && conforms<LiveMigrationRecord>(aLiveMigrationRecord, entry.data) ? entry.data : undefined;
}

/** The ShootState's `spec.gardener` with the record put in (or removed with `undefined`). */
export function withLiveMigrationRecord(
  state: ShootState,
  record: LiveMigrationRecord | undefined,
): GardenerResourceData[] {
  const others = (state.spec?.gardener ?? []).filter((e) => e.name !== LIVE_MIGRATION_ENTRY);
  return record ? [...others, { name: LIVE_MIGRATION_ENTRY, type: LIVE_MIGRATION_ENTRY, data: record }] : others;
}

/** Whether `phase` comes at or after `other` on the way forward (abort phases are after none). */
export function phaseReached(phase: LiveMigrationPhase, other: LiveMigrationPhase): boolean {
  const a = LIVE_MIGRATION_PHASES.indexOf(phase as (typeof LIVE_MIGRATION_PHASES)[number]);
  const b = LIVE_MIGRATION_PHASES.indexOf(other as (typeof LIVE_MIGRATION_PHASES)[number]);
  return a >= 0 && b >= 0 && a >= b;
}

/** Whether an abort can still leave the source as it was. */
export function abortable(record: LiveMigrationRecord): boolean {
  return !phaseReached(record.phase, POINT_OF_NO_RETURN) && record.phase !== 'Aborted';
}

/** Whether the shoot asks for a live migration (the annotation's value is exactly "true", as Gardener reads it). */
export function wantsLiveMigration(annotations: Record<string, string> | undefined): boolean {
  return annotations?.[LIVE_MIGRATE_ANNOTATION] === 'true';
}
