/**
 * What the druid writes into an Etcd's status, computed in one place from what a reconcile
 * observed of its server (etcd-controller.ts): a pure function from observation to status, so
 * every condition, reason and message has one source, and a comparison that ignores timestamps,
 * so the controller writes only real changes and its own writes do not keep waking it up.
 */
import { setCondition } from '../../api/core-gardener/conditions.js';
import {
  type Etcd,
  EtcdBootstrapReason,
  EtcdConditionType,
  type EtcdLastError,
  type EtcdMemberStatus,
  type EtcdStatus,
  etcdReplicas,
} from '../../api/druid/etcd.js';
import { type Condition, isRecord, nowTimestamp } from '../../api/meta.js';
import { etcdMemberName } from './etcd-config.js';
import type { EtcdMemberObservation } from './etcd-members.js';
import type { EtcdState } from './etcd-state.js';

/** Reasons of the Ready condition the druid writes. */
export const EtcdReadyReason = Object.freeze({
  Quorate: 'ClusterQuorate',
  Unhealthy: 'Unhealthy',
  Stopped: 'Stopped',
  TLSSecretMissing: 'TLSSecretMissing',
  TLSSecretInvalid: 'TLSSecretInvalid',
  StartFailed: 'StartFailed',
  /** A multi-member Etcd has fewer healthy members than a quorum. */
  QuorumLost: 'QuorumLost',
  /** The data dir needed a restore from backups, and it failed (corrupt or missing snapshot, store unreachable). */
  RestoreFailed: 'RestoreFailed',
  /** A member of an Etcd with `bootstrapWithExistingCluster` is not yet added to the source cluster. */
  Joining: 'JoiningExistingCluster',
  /** `druid.transplant.gardener.cloud/handed-over`: the members are the destination's to remove. */
  HandedOver: 'HandedOver',
} as const);

/** Reasons of the BackupReady condition. */
export const EtcdBackupReason = Object.freeze({
  NotConfigured: 'NoBackup',
  StoreUnavailable: 'BackupStoreUnavailable',
  Failed: 'BackupFailed',
  Pending: 'BackupPending',
  Succeeded: 'BackupSucceeded',
} as const);

/** How the backups of a running etcd are doing. */
export type BackupObservation =
  | { kind: 'off' }
  | { kind: 'failed'; reason: string; message: string }
  | { kind: 'on'; url: string | undefined; healthy: boolean; message: string; hasFullSnapshot: boolean };

/** What a reconcile found (or made) of an Etcd's server; `statusFor` turns it into status. */
export type Observation =
  /** `joined`, for an Etcd joining an existing cluster: whether its member is a voter of it. */
  | { kind: 'running'; state: EtcdState; backup: BackupObservation; joined?: boolean }
  /** A multi-member Etcd: each member as found; `problems` says why one could not be started. */
  | {
      kind: 'cluster';
      members: EtcdMemberObservation[];
      problems: string[];
      backup: BackupObservation;
      joined?: boolean;
    }
  /** A member of an Etcd joining an existing cluster could not be added yet (`message` says why). */
  | { kind: 'join-pending'; message: string; state: EtcdState | undefined }
  /** The members were handed over to a live migration's destination: `running` of `replicas` still run. */
  | { kind: 'handed-over'; running: number; replicas: number; state: EtcdState | undefined }
  | { kind: 'restore-failed'; error: Error; state: EtcdState | undefined }
  | { kind: 'unhealthy'; state: EtcdState; since: number; remainingMs: number }
  | { kind: 'stopped'; state: EtcdState | undefined }
  | { kind: 'tls-problem'; reason: string; message: string; state: EtcdState | undefined }
  | { kind: 'start-failed'; error: Error; state: EtcdState | undefined };

/**
 * The status fields the druid owns for `etcd` (the generation it acted on) in the state
 * `observation` describes; conditions and errors carry on from `current`'s status.
 */
export function statusFor(etcd: Etcd, current: Etcd, observation: Observation): EtcdStatus {
  return withBootstrapStatus(etcd, current, observation, ownStatusFor(etcd, current, observation));
}

function ownStatusFor(etcd: Etcd, current: Etcd, observation: Observation): EtcdStatus {
  if (observation.kind === 'cluster') return clusterStatusFor(etcd, current, observation);
  const memberName = etcdMemberName(etcd);
  const url = observation.state?.clientUrl;
  let ready: boolean;
  let quorum: [Condition['status'], string, string];
  let members: [Condition['status'], string, string];
  let member: EtcdMemberStatus | undefined;
  let lastError: { code: string; description: string } | undefined;
  switch (observation.kind) {
    case 'running':
      ready = true;
      quorum = ['True', EtcdReadyReason.Quorate, `etcd is healthy at ${url} (pid ${observation.state.pid})`];
      members = ['True', 'AllMembersReady', 'All members are ready'];
      member = { name: memberName, role: 'Leader', status: 'Ready', reason: 'HealthCheckSucceeded' };
      break;
    case 'unhealthy': {
      ready = false;
      const since = nowTimestamp(new Date(observation.since));
      const message = `etcd (pid ${observation.state.pid}) at ${url} fails its health check since ${since}`;
      quorum = ['False', EtcdReadyReason.Unhealthy, message];
      members = ['False', 'NotAllMembersReady', message];
      member = { name: memberName, role: 'Leader', status: 'NotReady', reason: 'HealthCheckFailed' };
      break;
    }
    case 'stopped': {
      // Zero of zero replicas: the desired state is reached, as etcd-druid reports a scaled-down etcd.
      ready = true;
      const message = 'spec.replicas is 0: etcd is stopped, its data is kept';
      quorum = ['Unknown', EtcdReadyReason.Stopped, message];
      members = ['Unknown', EtcdReadyReason.Stopped, message];
      break;
    }
    case 'tls-problem':
      ready = false;
      quorum = ['False', observation.reason, observation.message];
      members = ['False', observation.reason, observation.message];
      member = { name: memberName, status: 'Unknown', reason: observation.reason };
      lastError = { code: observation.reason, description: observation.message };
      break;
    case 'restore-failed': {
      ready = false;
      const message = `restoring the data dir from backups failed, etcd is not started: ${observation.error.message.split('\n')[0]}`;
      quorum = ['False', EtcdReadyReason.RestoreFailed, message];
      members = ['False', EtcdReadyReason.RestoreFailed, message];
      member = { name: memberName, status: 'NotReady', reason: EtcdReadyReason.RestoreFailed };
      lastError = { code: EtcdReadyReason.RestoreFailed, description: message };
      break;
    }
    case 'join-pending':
      ready = false;
      quorum = ['False', EtcdReadyReason.Joining, observation.message];
      members = ['False', EtcdReadyReason.Joining, observation.message];
      member = { name: memberName, status: 'NotReady', reason: EtcdReadyReason.Joining };
      break;
    case 'handed-over': {
      ready = false;
      const message = `handed over to the live migration's destination: ${observation.running} of ${observation.replicas} members still run, only observed`;
      quorum = ['Unknown', EtcdReadyReason.HandedOver, message];
      members = ['Unknown', EtcdReadyReason.HandedOver, message];
      break;
    }
    case 'start-failed': {
      ready = false;
      const message = observation.error.message.split('\n')[0] ?? 'etcd could not be started';
      quorum = ['False', EtcdReadyReason.StartFailed, message];
      members = ['False', EtcdReadyReason.StartFailed, message];
      member = { name: memberName, status: 'NotReady', reason: EtcdReadyReason.StartFailed };
      lastError = { code: EtcdReadyReason.StartFailed, description: message };
      break;
    }
  }

  const conditions = withConditions(current, quorum, members, backupCondition(observation));

  const running =
    observation.kind === 'running' ||
    observation.kind === 'unhealthy' ||
    (observation.kind === 'handed-over' && observation.running > 0);
  const status: EtcdStatus = {
    observedGeneration: etcd.metadata.generation ?? 1,
    ready,
    conditions,
    clusterSize: 1,
    replicas: etcdReplicas(etcd),
    currentReplicas: running ? 1 : 0,
    readyReplicas: observation.kind === 'running' ? 1 : 0,
    members: member ? [member] : [],
    lastErrors: lastError ? [keepObservedAt(current, lastError)] : null,
  };
  if (url) status.endpoint = url;
  // Where the backup sidecar serves /snapshot/full[?final=true] (Gardener reaches it as
  // etcd-main-client.<namespace>:8080; here every sidecar has a loopback port of its own).
  if (observation.kind === 'running' && observation.backup.kind === 'on' && observation.backup.url) {
    status.backupEndpoint = observation.backup.url;
  }
  return status;
}

type ConditionValue = [Condition['status'], string, string];

/** `current`'s conditions with Ready, AllMembersReady and BackupReady set; unchanged ones keep their times. */
function withConditions(
  current: Etcd,
  quorum: ConditionValue,
  members: ConditionValue,
  backup: ConditionValue,
): Condition[] {
  let conditions = current.status?.conditions ?? [];
  const set = (type: string, [status, reason, message]: ConditionValue) => {
    const existing = conditions.find((c) => c.type === type);
    if (existing && existing.status === status && existing.reason === reason && existing.message === message) return;
    conditions = setCondition(conditions, type, status, reason, message);
  };
  set(EtcdConditionType.Ready, quorum);
  set(EtcdConditionType.AllMembersReady, members);
  set(EtcdConditionType.BackupReady, backup);
  return conditions;
}

/**
 * The status of a multi-member Etcd: Ready while a quorum of members is healthy, every member
 * with its ID and role. `status.endpoint` is the first member's client URL (it does not follow
 * the leader, so the status does not change with every election).
 */
function clusterStatusFor(
  etcd: Etcd,
  current: Etcd,
  observation: Extract<Observation, { kind: 'cluster' }>,
): EtcdStatus {
  const replicas = etcdReplicas(etcd);
  const healthy = observation.members.filter((m) => m.healthy);
  const quorate = healthy.length > Math.floor(replicas / 2);
  const unhealthyNames = observation.members.filter((m) => !m.healthy).map((m) => m.name);
  const problem = observation.problems[0];
  const quorum: ConditionValue = quorate
    ? ['True', EtcdReadyReason.Quorate, `${healthy.length} of ${replicas} members are healthy`]
    : ['False', EtcdReadyReason.QuorumLost, problem ?? `only ${healthy.length} of ${replicas} members are healthy`];
  const members: ConditionValue =
    unhealthyNames.length === 0
      ? ['True', 'AllMembersReady', 'All members are ready']
      : ['False', 'NotAllMembersReady', problem ?? `members not ready: ${unhealthyNames.join(', ')}`];
  const status: EtcdStatus = {
    observedGeneration: etcd.metadata.generation ?? 1,
    ready: quorate,
    conditions: withConditions(current, quorum, members, backupCondition(observation)),
    clusterSize: replicas,
    replicas,
    currentReplicas: observation.members.filter((m) => m.running).length,
    readyReplicas: healthy.length,
    members: observation.members.map((m) => ({
      name: m.name,
      ...(m.id ? { id: m.id } : {}),
      ...(m.id ? { role: m.leader ? ('Leader' as const) : ('Member' as const) } : {}),
      status: m.healthy ? ('Ready' as const) : ('NotReady' as const),
      reason: m.healthy
        ? 'HealthCheckSucceeded'
        : m.learner
          ? 'Learner'
          : m.running
            ? 'HealthCheckFailed'
            : 'NotRunning',
    })),
    lastErrors: problem ? [keepObservedAt(current, { code: EtcdReadyReason.StartFailed, description: problem })] : null,
  };
  const endpoint = observation.members[0]?.state.clientUrl;
  if (endpoint) status.endpoint = endpoint;
  return status;
}

/**
 * The BootstrappedWithExistingCluster condition and `status.bootstrapWithExistingCluster` of an
 * Etcd that joins an existing cluster (etcd-druid's): False `BootstrapInProgress` until every
 * member is a voter, then True `BootstrapSucceeded` with the source members of the spec, written
 * once and sticky (a later restart of a member does not make the join regress).
 */
function withBootstrapStatus(etcd: Etcd, current: Etcd, observation: Observation, status: EtcdStatus): EtcdStatus {
  const recorded = current.status?.bootstrapWithExistingCluster;
  const source = etcd.spec.etcd.bootstrapWithExistingCluster;
  if (!recorded && !source) return status;
  const joined = 'joined' in observation && observation.joined === true;
  const snapshot = recorded ?? (joined && source ? { joinedAt: nowTimestamp(), members: source.members } : undefined);
  const condition: ConditionValue = snapshot
    ? ['True', EtcdBootstrapReason.Succeeded, `joined the existing cluster at ${snapshot.joinedAt}`]
    : [
        'False',
        EtcdBootstrapReason.InProgress,
        observation.kind === 'join-pending' ? observation.message : 'members are joining the existing cluster',
      ];
  const conditions = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === EtcdConditionType.BootstrappedWithExistingCluster);
  const [conditionStatus, reason, message] = condition;
  const unchanged =
    existing && existing.status === conditionStatus && existing.reason === reason && existing.message === message;
  return {
    ...status,
    conditions: unchanged
      ? conditions
      : setCondition(conditions, EtcdConditionType.BootstrappedWithExistingCluster, conditionStatus, reason, message),
    ...(snapshot ? { bootstrapWithExistingCluster: snapshot } : {}),
  };
}

/** The BackupReady condition for what the reconcile observed. */
function backupCondition(observation: Observation): [Condition['status'], string, string] {
  if (observation.kind === 'restore-failed') {
    return ['False', EtcdBackupReason.Failed, 'the data dir could not be restored from the backups'];
  }
  const backup = observation.kind === 'running' || observation.kind === 'cluster' ? observation.backup : undefined;
  if (!backup) return ['Unknown', EtcdBackupReason.Pending, 'etcd is not running'];
  switch (backup.kind) {
    case 'off':
      return ['Unknown', EtcdBackupReason.NotConfigured, 'spec.backup.store is not set: no backups are taken'];
    case 'failed':
      return ['False', backup.reason, backup.message];
    case 'on':
      if (!backup.healthy) return ['False', EtcdBackupReason.Failed, backup.message];
      if (!backup.hasFullSnapshot) return ['Unknown', EtcdBackupReason.Pending, 'waiting for the first full snapshot'];
      return ['True', EtcdBackupReason.Succeeded, backup.message];
  }
}

/** The error with the `observedAt` of an identical earlier one, so a repeated error is no change. */
function keepObservedAt(etcd: Etcd, error: { code: string; description: string }): EtcdLastError {
  const same = etcd.status?.lastErrors?.find((e) => e.code === error.code && e.description === error.description);
  return { ...error, observedAt: same?.observedAt ?? nowTimestamp() };
}

const TIME_FIELDS = new Set(['lastUpdateTime', 'lastTransitionTime', 'observedAt']);

/** Deep equality of JSON values, ignoring timestamp fields; `null` equals absent. */
export function sameIgnoringTimes(a: unknown, b: unknown): boolean {
  return JSON.stringify(withoutTimes(a ?? null)) === JSON.stringify(withoutTimes(b ?? null));
}

function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .filter((k) => !TIME_FIELDS.has(k) && value[k] !== undefined && value[k] !== null)
      .sort()
      .map((k) => [k, withoutTimes(value[k])]),
  );
}
