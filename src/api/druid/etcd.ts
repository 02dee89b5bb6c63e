/**
 * Etcd (druid.gardener.cloud/v1alpha1, namespaced): one etcd cluster of a shoot control plane
 * (`etcd-main`, `etcd-events`) with its backup sidecar. `spec.replicas` is 0 (stopped), 1 (a
 * single member, the default) or 3 (a highly available cluster, docs/ha-control-planes.md, which
 * needs `spec.etcd.peerUrlTls`). The druid reports readiness in
 * `status.ready` and the conditions Ready (quorate), AllMembersReady and BackupReady.
 */
import { aLastOperation, GARDENER_OPERATION_ANNOTATION, type LastOperation } from '../core-gardener/common.js';
import { getCondition, someConditions } from '../core-gardener/conditions.js';
import { parseDuration } from '../extensions/field-validation.js';
import {
  aBoolean,
  aNumber,
  aString,
  aStringMap,
  type Check,
  listOf,
  nullable,
  oneOf,
  optional,
  shape,
} from '../kind-guard.js';
import type { Condition, KubeObject } from '../meta.js';
import { aStoreSpec, druidKind, type StoreSpec } from './common.js';

/** Condition types of an Etcd (etcd-druid's ConditionType* constants). */
export const EtcdConditionType = Object.freeze({
  /** The cluster has quorum (printed as QUORATE). */
  Ready: 'Ready',
  AllMembersReady: 'AllMembersReady',
  BackupReady: 'BackupReady',
  AllMembersUpdated: 'AllMembersUpdated',
  DataVolumesReady: 'DataVolumesReady',
  LastSnapshotCompactionSucceeded: 'LastSnapshotCompactionSucceeded',
  /**
   * GEP-39's join of an existing cluster (`spec.etcd.bootstrapWithExistingCluster`): False
   * `BootstrapInProgress` until every member is a voter of the source cluster, then True
   * `BootstrapSucceeded`, sticky once `status.bootstrapWithExistingCluster` is written.
   */
  BootstrappedWithExistingCluster: 'BootstrappedWithExistingCluster',
} as const);

/** Reasons of the BootstrappedWithExistingCluster condition (etcd-druid's). */
export const EtcdBootstrapReason = Object.freeze({
  InProgress: 'BootstrapInProgress',
  Succeeded: 'BootstrapSucceeded',
} as const);

/** `spec.replicas` values Transplant runs: stopped, a single member, or three (highly available). */
export const ETCD_REPLICAS = [0, 1, 3] as const;
export const DEFAULT_ETCD_REPLICAS = 1;

export const GARBAGE_COLLECTION_POLICIES = ['Exponential', 'LimitBased'] as const;
export type GarbageCollectionPolicy = (typeof GARBAGE_COLLECTION_POLICIES)[number];
export const COMPRESSION_POLICIES = ['gzip', 'lzw', 'zlib'] as const;
export const METRICS_LEVELS = ['basic', 'extensive'] as const;
export const COMPACTION_MODES = ['periodic', 'revision'] as const;
export const ETCD_MEMBER_STATUSES = ['Ready', 'NotReady', 'Unknown'] as const;
export const ETCD_ROLES = ['Leader', 'Member'] as const;

/** One entry of `status.members`. */
export interface EtcdMemberStatus {
  name: string;
  id?: string;
  role?: 'Leader' | 'Member';
  status: 'Ready' | 'NotReady' | 'Unknown';
  reason?: string;
  lastTransitionTime?: string;
}

/** A secret reference of `clientUrlTls`; `dataKey` names the CA's key (default `ca.crt`). */
export interface EtcdSecretRef {
  name: string;
  namespace?: string;
  dataKey?: string;
}

/** etcd-druid's `TLSConfig`: the secrets the client listener is run with. */
export interface EtcdTlsConfig {
  tlsCASecretRef: EtcdSecretRef;
  serverTLSSecretRef: EtcdSecretRef;
  /** The client pair the druid's health checks present; the server pair without it. */
  clientTLSSecretRef?: EtcdSecretRef;
}

/** `spec.etcd.additionalAdvertisePeerURLs[]`: more peer URLs one member advertises (etcd-druid's `MemberPeerURLs`). */
export interface EtcdMemberPeerUrls {
  /** The member's name, `[<memberNamePrefix>-]<etcd name>-<i>`. */
  memberName: string;
  urls: string[];
}

/** A member of the source cluster an Etcd joins (etcd-druid's `BootstrapExistingMember`). */
export interface EtcdExistingMember {
  name: string;
  /** Its peer URLs as the source advertises them (the scheme matches `peerUrlTls`). */
  peerUrls: string[];
}

/**
 * `spec.etcd.bootstrapWithExistingCluster` (GEP-39): the members join this running cluster as
 * learners instead of bootstrapping one of their own. Settable only at creation.
 */
export interface EtcdBootstrapWithExistingCluster {
  members: EtcdExistingMember[];
  /** Where the source cluster serves clients (the scheme matches `clientUrlTls`): memberships are changed there. */
  clientEndpoints: string[];
}

/** `status.bootstrapWithExistingCluster`: written once, when the join succeeded. */
export interface EtcdBootstrapWithExistingClusterStatus {
  joinedAt: string;
  /** The source members of the spec at that time. */
  members: EtcdExistingMember[];
}

/** A Kubernetes quantity: `8Gi`, `500M`, or a plain number of bytes. */
export type Quantity = string | number;

export interface EtcdSpec {
  /** 0 (stopped), 1 or 3; etcd-druid's CRD defaults it to 1. */
  replicas?: number;
  /**
   * Prefixes every member's name (`<prefix>-<name>-<i>`); Gardener sets the seed's name so the
   * members of two seeds in one cluster (a live migration) never collide. Immutable.
   */
  memberNamePrefix?: string;
  /** Labels of the etcd's pods (Gardener's `role: main`, …). */
  labels?: Record<string, string>;
  selector?: { matchLabels?: Record<string, string> };
  etcd: {
    /** The backend quota in bytes (etcd's `--quota-backend-bytes`). */
    quota?: Quantity;
    /** TLS of the client listener; plain HTTP without it. */
    clientUrlTls?: EtcdTlsConfig;
    /**
     * TLS between the members (etcd-druid's `peerUrlTls`): the server pair is served and presented
     * to the other members (usage both); required when `replicas` is more than 1.
     */
    peerUrlTls?: EtcdTlsConfig;
    /** Peer URLs members advertise besides their own listener's (reachable from another seed). */
    additionalAdvertisePeerURLs?: EtcdMemberPeerUrls[];
    bootstrapWithExistingCluster?: EtcdBootstrapWithExistingCluster;
  };
  backup: {
    /** Where snapshots go; no backups without it. */
    store?: StoreSpec;
    /** A cron schedule of full snapshots. */
    fullSnapshotSchedule?: string;
    /** A Go duration between delta snapshots. */
    deltaSnapshotPeriod?: string;
    /** How much memory events may take before a delta snapshot is cut early. */
    deltaSnapshotMemoryLimit?: Quantity;
    compression?: { enabled?: boolean; policy?: string };
    garbageCollectionPolicy?: GarbageCollectionPolicy;
    /** How many full snapshots the LimitBased policy keeps. */
    maxBackupsLimitBasedGC?: number;
    /** A Go duration between garbage collections. */
    garbageCollectionPeriod?: string;
    /** A Go duration for which delta snapshots are kept. */
    deltaSnapshotRetentionPeriod?: string;
    /** A Go duration a snapshot may take. */
    etcdSnapshotTimeout?: string;
  };
  /** Auto-compaction (`periodic` or `revision`, and its retention). */
  sharedConfig?: { autoCompactionMode?: string; autoCompactionRetention?: string };
  storageClass?: string;
  volumeClaimTemplate?: string;
}

/** One of `status.lastErrors`; `code` names the failure (e.g. `RestoreFailed`). */
export interface EtcdLastError {
  code?: string;
  description: string;
  /** When the error was first seen; kept while it repeats. */
  observedAt?: string;
}

export interface EtcdStatus {
  /** The generation the druid acted on. */
  observedGeneration?: number;
  /** Every replica is ready (also true when zero of zero are). */
  ready?: boolean;
  conditions?: Condition[];
  clusterSize?: number;
  replicas?: number;
  currentReplicas?: number;
  readyReplicas?: number;
  /** Where the etcd serves clients (`https://127.0.0.1:<port>`); Transplant's field. */
  endpoint?: string;
  /** The backup sidecar's HTTPS URL (`/snapshot/full?final=true`); Transplant's field. */
  backupEndpoint?: string;
  lastOperation?: LastOperation;
  lastErrors?: EtcdLastError[] | null;
  members?: EtcdMemberStatus[];
  bootstrapWithExistingCluster?: EtcdBootstrapWithExistingClusterStatus;
}

export interface Etcd extends KubeObject {
  spec: EtcdSpec;
  status?: EtcdStatus;
}

const aQuantity: Check = (value, path) => (typeof value === 'number' ? undefined : aString(value, path));
const anExistingMember = shape<EtcdExistingMember>({ name: aString, peerUrls: listOf(aString) });
const anEtcdSecretRef = shape<EtcdSecretRef>({
  name: aString,
  namespace: optional(aString),
  dataKey: optional(aString),
});

/**
 * The guard (whether an object is an Etcd with the fields above, of their types) and the reference
 * that carries it, so that clients read checked objects.
 */
export const { is: isEtcd, resource: etcdResource } = druidKind<Etcd>(
  { kind: 'Etcd', plural: 'etcds', namespaced: true },
  {
    spec: shape<EtcdSpec>({
      replicas: optional(aNumber),
      memberNamePrefix: optional(aString),
      labels: optional(aStringMap),
      etcd: shape<EtcdSpec['etcd']>({
        quota: optional(aQuantity),
        clientUrlTls: optional(
          shape<EtcdTlsConfig>({
            tlsCASecretRef: anEtcdSecretRef,
            serverTLSSecretRef: anEtcdSecretRef,
            clientTLSSecretRef: optional(anEtcdSecretRef),
          }),
        ),
        peerUrlTls: optional(
          shape<EtcdTlsConfig>({
            tlsCASecretRef: anEtcdSecretRef,
            serverTLSSecretRef: anEtcdSecretRef,
            clientTLSSecretRef: optional(anEtcdSecretRef),
          }),
        ),
        additionalAdvertisePeerURLs: optional(
          listOf(shape<EtcdMemberPeerUrls>({ memberName: aString, urls: listOf(aString) })),
        ),
        bootstrapWithExistingCluster: optional(
          shape<EtcdBootstrapWithExistingCluster>({
            members: listOf(anExistingMember),
            clientEndpoints: listOf(aString),
          }),
        ),
      }),
      backup: shape<EtcdSpec['backup']>({
        store: optional(aStoreSpec),
        fullSnapshotSchedule: optional(aString),
        deltaSnapshotPeriod: optional(aString),
        deltaSnapshotMemoryLimit: optional(aQuantity),
        compression: optional(shape({ enabled: optional(aBoolean), policy: optional(aString) })),
        garbageCollectionPolicy: optional(oneOf(GARBAGE_COLLECTION_POLICIES)),
        maxBackupsLimitBasedGC: optional(aNumber),
        garbageCollectionPeriod: optional(aString),
        deltaSnapshotRetentionPeriod: optional(aString),
        etcdSnapshotTimeout: optional(aString),
      }),
      sharedConfig: optional(
        shape({ autoCompactionMode: optional(aString), autoCompactionRetention: optional(aString) }),
      ),
      storageClass: optional(aString),
      volumeClaimTemplate: optional(aString),
    }),
    status: optional(
      shape<EtcdStatus>({
        observedGeneration: optional(aNumber),
        ready: optional(aBoolean),
        conditions: someConditions,
        clusterSize: optional(aNumber),
        replicas: optional(aNumber),
        currentReplicas: optional(aNumber),
        readyReplicas: optional(aNumber),
        endpoint: optional(aString),
        backupEndpoint: optional(aString),
        lastOperation: optional(aLastOperation),
        lastErrors: optional(
          nullable(
            listOf(
              shape<EtcdLastError>({ code: optional(aString), description: aString, observedAt: optional(aString) }),
            ),
          ),
        ),
        members: optional(
          listOf(
            shape<EtcdMemberStatus>({
              name: aString,
              status: oneOf(ETCD_MEMBER_STATUSES),
              role: optional(oneOf(ETCD_ROLES)),
            }),
          ),
        ),
        bootstrapWithExistingCluster: optional(
          shape<EtcdBootstrapWithExistingClusterStatus>({ joinedAt: aString, members: listOf(anExistingMember) }),
        ),
      }),
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// Readers

/** `spec.replicas`, 1 when unset. */
export function etcdReplicas(etcd: Etcd): number {
  return etcd.spec.replicas ?? DEFAULT_ETCD_REPLICAS;
}

/**
 * The name of member `index`: `<name>-<index>` as etcd-druid's pods, prefixed with
 * `spec.memberNamePrefix` when set (Gardener's seed name, so two seeds' members never collide).
 */
export function etcdMemberNameAt(etcd: Pick<Etcd, 'metadata' | 'spec'>, index: number): string {
  const prefix = etcd.spec?.memberNamePrefix;
  return `${prefix ? `${prefix}-` : ''}${etcd.metadata.name}-${index}`;
}

/** Whether the source gardenlet of a live migration handed this Etcd's members over (any value): only observed. */
export function etcdHandedOver(etcd: Etcd): boolean {
  return etcd.metadata.annotations?.[ETCD_HANDED_OVER_ANNOTATION] !== undefined;
}

/** `status.ready === true`: every replica is ready (zero of zero when stopped). */
export function etcdReady(etcd: Etcd): boolean {
  return etcd.status?.ready === true;
}

/** The condition `type` is True (`Ready`: the cluster has quorum). */
export function etcdConditionTrue(etcd: Etcd, type: string): boolean {
  return getCondition(etcd.status?.conditions ?? [], type)?.status === 'True';
}

/** `spec.backup.deltaSnapshotPeriod` in milliseconds, undefined when unset or malformed. */
export function etcdDeltaSnapshotPeriodMs(etcd: Etcd): number | undefined {
  const period = etcd.spec.backup.deltaSnapshotPeriod;
  return period === undefined ? undefined : parseDuration(period);
}

/**
 * Why the Etcd is not ready yet, undefined when it is (Gardener's `CheckEtcdObject`): last errors,
 * an unobserved or outdated generation, a pending `gardener.cloud/operation`, or `status.ready`
 * not true.
 */
export function etcdNotReadyReason(etcd: Etcd): string | undefined {
  const lastErrors = etcd.status?.lastErrors ?? [];
  if (lastErrors.length > 0) return `errors during reconciliation: ${lastErrors[0]!.description}`;
  const observed = etcd.status?.observedGeneration;
  if (observed === undefined) return 'observed generation not recorded';
  const generation = etcd.metadata.generation ?? 1;
  if (observed !== generation) return `observed generation outdated (${observed}/${generation})`;
  const operation = etcd.metadata.annotations?.[GARDENER_OPERATION_ANNOTATION];
  if (operation) return `gardener operation "${operation}" is not yet picked up by etcd-druid`;
  if (!etcdReady(etcd)) return 'is not ready yet';
  return undefined;
}

/** The description of the druid's `RestoreFailed` error, when restoring the data dir from backups failed. */
export function etcdRestoreError(etcd: Etcd): string | undefined {
  return etcd.status?.lastErrors?.find((e) => e.code === 'RestoreFailed')?.description;
}

/**
 * Set by the source gardenlet of a live migration (docs/live-migration.md, `SourceReleased`) on
 * its Etcds: the members now belong to the joint cluster the destination runs, so this seed's
 * druid no longer restarts, re-joins or backs them up; it only reports them. The destination
 * removes them from the cluster, then the gardenlet deletes the Etcd (which deletes their data).
 */
export const ETCD_HANDED_OVER_ANNOTATION = 'druid.transplant.gardener.cloud/handed-over';
