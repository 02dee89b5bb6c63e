/**
 * The druid's Etcd controller (etcd-druid's etcd reconciler, without StatefulSets): one real
 * etcd server per `druid.gardener.cloud/v1alpha1` Etcd of the seed API, a single-member cluster
 * on 127.0.0.1 (see etcd-state.ts for the files under `<runtimeDir>/<namespace>/<name>`), or for
 * `spec.replicas: 3` one server per member with peer TLS (etcd-members.ts).
 *
 * Each reconcile reads everything it needs itself and converges:
 * - deletionTimestamp: stop the server (SIGTERM, then SIGKILL), remove its directory (data and
 *   state file), release the finalizer `druid.gardener.cloud/etcd-druid`;
 * - `spec.replicas: 0`: stop the server, keep data and ports;
 * - otherwise: read the client TLS from the referenced secrets (a missing one is reported, Ready
 *   False "TLSSecretMissing", and looked for again shortly); adopt the server the state file
 *   names when that pid is alive, serves this data dir and answers its health check; restart it
 *   on the same ports and data dir when it is gone, runs with another configuration, or has been
 *   unhealthy for `unhealthyGraceMs`.
 *
 * Servers run detached, in their own process group: a seed that crashes or is restarted leaves
 * them serving, and its successor adopts them. Conditions are computed in one place
 * (`statusFor`, etcd-status.ts) and written to the status subresource only when something other than a
 * timestamp changed, so the controller's own writes do not keep waking it up.
 *
 * One file (~710 lines) on purpose: it is one reconciler, and its private steps (`#converge`,
 * `#running`, `#start`, `#delete`, the leader's backup sidecar) share the reconcile's state (the
 * TLS read once, the observation reported once); the member-level work is already outside it
 * (etcd-members.ts, etcd-cluster-restore.ts, etcd-scale-up.ts, backup-sidecars.ts). Next to split:
 * the backup sidecar's placement (`#leaderSidecar`, `memberSidecar`, `sidecarObservation`).
 */
import { mkdir, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { secretResource } from '../../api/core/secret.js';
import { type Etcd, etcdHandedOver, etcdReplicas, etcdResource } from '../../api/druid/etcd.js';
import { nowTimestamp } from '../../api/meta.js';
import type { RestoreProgress } from '../../backup/restorer/index.js';
import { type Client, ignoreNotFound, type ResourceClient } from '../../client/client.js';
import { addFinalizer, removeFinalizer } from '../../client/finalizers.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { checkEtcdHealth, etcdMemberStatus } from '../../process/etcd-gateway.js';
import { type EtcdPeer, freePort, startEtcd } from '../../process/etcd-process.js';
import { removeTreeGradually } from '../../streams/gradual-removal.js';
import { readBackupSidecarState, writeBackupSidecarState } from './backup-sidecar-state.js';
import type { BackupSidecar, BackupSidecars } from './backup-sidecars.js';
import { type EtcdBackupConfig, etcdBackupConfig, prepareDataDir } from './etcd-backup.js';
import { memberHasData } from './etcd-cluster-markers.js';
import {
  type EtcdLaunchConfig,
  type EtcdPeerConfig,
  etcdAdvertisedPeerUrls,
  etcdLaunchConfig,
  etcdMoreClientHosts,
} from './etcd-config.js';
import {
  convergeEtcdCluster,
  type EtcdClusterOptions,
  type EtcdMemberObservation,
  ensureAdvertisedPeerUrls,
  etcdMemberPaths,
  joinAsLearner,
  observeEtcdCluster,
  promoteCaughtUpLearners,
} from './etcd-members.js';
import { DEFAULT_ETCD_STOP_GRACE_MS, isEtcdProcessFor, stopEtcdAt } from './etcd-processes.js';
import { adoptSingleMember } from './etcd-scale-up.js';
import { type EtcdPaths, type EtcdState, etcdPaths, readEtcdState, writeEtcdState } from './etcd-state.js';
import {
  type BackupObservation,
  EtcdBackupReason,
  EtcdReadyReason,
  type Observation,
  sameIgnoringTimes,
  statusFor,
} from './etcd-status.js';
import { resolveEtcdPeerTls, resolveEtcdTls } from './etcd-tls.js';
import { applyMemberPriority, joiningMemberLaunch } from './learner-priority.js';

/** The finalizer the druid keeps on every Etcd it runs a server for. */
export const ETCD_DRUID_FINALIZER = 'druid.gardener.cloud/etcd-druid';

export interface EtcdReconcilerOptions {
  /** The seed API: its Etcds and the Secrets they reference. */
  client: Client;
  /** The seed's directory for control planes, e.g. `<seedDir>/controlplanes`. */
  runtimeDir: string;
  logger: Logger;
  /** How often a running server's health is checked again; default 15 s. */
  healthCheckIntervalMs?: number;
  /** How long a running server may fail its health check before it is restarted; default 10 s. */
  unhealthyGraceMs?: number;
  /** How soon a not-ready Etcd (missing secret, unhealthy server) is looked at again; default 2 s. */
  retryIntervalMs?: number;
  /**
   * How soon an Etcd whose members are joining is looked at again (a learner to promote once it
   * caught up, the next member to start once the ones before it vote); default 250 ms.
   */
  joinPollIntervalMs?: number;
  /** Flags for every server, before the Etcd's own (e.g. faster elections in tests). */
  etcdArgs?: readonly string[];
  /** How long a start may take to become healthy; default startEtcd's (30 s). */
  startTimeoutMs?: number;
  /** How long a stop waits after SIGTERM before SIGKILL; default 10 s. */
  stopGraceMs?: number;
  /** The etcd binary; default `/usr/bin/etcd`. */
  binary?: string;
  /**
   * The backup sidecars; without them `spec.backup` is ignored (no snapshots, no restore).
   * The seed always passes them.
   */
  sidecars?: BackupSidecars;
  /**
   * The address members with peer TLS bind their peer listener to and advertise: loopback
   * (default) when every seed runs on this host; the seed host's address when seeds are hosts,
   * so another seed's members reach them during a live migration.
   */
  peerAddress?: string;
  /**
   * Told how far a restore of the Etcd's data dir from its backups got, in numbers (the seed
   * reports them to the garden: restore-progress-reporter.ts).
   */
  onRestoreProgress?: (etcd: Etcd, progress: RestoreProgress) => void;
  /** A test aid (etcd-members.ts `afterJoinPhase`): a throw stands for the druid crashing there. */
  afterJoinPhase?: EtcdClusterOptions['afterJoinPhase'];
}

/** A join whose members did not change for this long is looked at again at `retryIntervalMs`. */
const JOIN_STALL_MS = 5_000;

const DEFAULTS = Object.freeze({
  healthCheckIntervalMs: 15_000,
  unhealthyGraceMs: 10_000,
  retryIntervalMs: 2_000,
  joinPollIntervalMs: 250,
});

export class EtcdReconciler implements Reconciler {
  readonly #etcds: ResourceClient<Etcd>;
  readonly #secrets: ResourceClient;
  readonly #runtimeDir: string;
  readonly #log: Logger;
  readonly #options: Readonly<EtcdReconcilerOptions>;
  /** When each server (by `<ns>/<name>`) first failed a health check in a row. */
  readonly #unhealthySince = new Map<string, number>();
  /** Per Etcd whose members are joining: what they looked like, and since when. */
  readonly #joinState = new Map<string, { members: string; since: number }>();

  constructor(options: EtcdReconcilerOptions) {
    this.#options = Object.freeze({ ...options });
    this.#etcds = options.client.resource(etcdResource);
    this.#secrets = options.client.resource(secretResource);
    this.#runtimeDir = options.runtimeDir;
    this.#log = options.logger.child({ controller: 'etcd-druid' });
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const id = `${key.namespace}/${key.name}`;
    const etcd = await this.#etcds.find(key.namespace, key.name);
    if (!etcd) {
      this.#unhealthySince.delete(id);
      this.#joinState.delete(id);
      return {};
    }
    const paths = etcdPaths(this.#runtimeDir, key.namespace, key.name);
    if (etcd.metadata.deletionTimestamp) return this.#delete(etcd, paths, id);
    await this.#ensureFinalizer(etcd);

    const observation = await this.#converge(etcd, paths, id);
    await this.#report(etcd, observation);
    switch (observation.kind) {
      case 'running':
        if (observation.joined === false) return { requeueAfterMs: this.#joinPollIntervalMs };
        return {
          requeueAfterMs:
            observation.backup.kind === 'failed' ||
            (observation.backup.kind === 'on' && !observation.backup.hasFullSnapshot)
              ? this.#retryIntervalMs
              : this.#healthCheckIntervalMs,
        };
      case 'cluster':
        if (observation.members.every((m) => m.healthy) && observation.joined !== false) {
          this.#joinState.delete(id);
          return { requeueAfterMs: this.#healthCheckIntervalMs };
        }
        // Members joining one at a time (a restore, a live migration): each step is a reconcile,
        // 2 s apart they made a 3-member restore take 14 s. A learner is asked again soon whether
        // it caught up, and so is a join that moved lately; one stuck (a member that cannot be
        // started) is retried at the slower pace.
        return {
          requeueAfterMs:
            observation.members.some((m) => m.learner && m.running) ||
            ((observation.restoring || observation.joined === false) && this.#joinProgressed(id, observation.members))
              ? this.#joinPollIntervalMs
              : this.#retryIntervalMs,
        };
      case 'stopped':
        return {};
      case 'unhealthy':
        return { requeueAfterMs: Math.max(50, Math.min(this.#retryIntervalMs, observation.remainingMs)) };
      case 'tls-problem':
      case 'join-pending':
      case 'handed-over':
        return { requeueAfterMs: this.#retryIntervalMs };
      case 'start-failed':
      case 'restore-failed':
        // Reported in the status; the controller retries with backoff.
        throw observation.error;
    }
  }

  get #healthCheckIntervalMs(): number {
    return this.#options.healthCheckIntervalMs ?? DEFAULTS.healthCheckIntervalMs;
  }

  get #retryIntervalMs(): number {
    return this.#options.retryIntervalMs ?? DEFAULTS.retryIntervalMs;
  }

  /** Whether the members of `id` changed (started, joined, promoted) within `JOIN_STALL_MS`. */
  #joinProgressed(id: string, members: readonly EtcdMemberObservation[]): boolean {
    const now = Date.now();
    const seen = JSON.stringify(members.map((m) => [m.running, m.healthy, m.learner, m.state.pid]));
    const last = this.#joinState.get(id);
    if (last?.members !== seen) this.#joinState.set(id, { members: seen, since: now });
    return now - (last?.members === seen ? last.since : now) < JOIN_STALL_MS;
  }

  get #joinPollIntervalMs(): number {
    return this.#options.joinPollIntervalMs ?? DEFAULTS.joinPollIntervalMs;
  }

  get #peerAddress(): string {
    return this.#options.peerAddress ?? '127.0.0.1';
  }

  get #stopGraceMs(): number {
    return this.#options.stopGraceMs ?? DEFAULT_ETCD_STOP_GRACE_MS;
  }

  /** Brings the server to what the Etcd asks for and says what came of it. */
  async #converge(etcd: Etcd, paths: EtcdPaths, id: string): Promise<Observation> {
    const log = this.#log.child({ etcd: id });
    let state = await readEtcdState(paths);
    if (etcdReplicas(etcd) === 0) {
      this.#unhealthySince.delete(id);
      await this.#options.sidecars?.stop(id);
      const stopped = await stopEtcdAt(paths, this.#stopGraceMs);
      if (stopped.length > 0) log.info({ pids: stopped }, 'stopped etcd (spec.replicas is 0); data kept');
      const kept = state && state.pid !== null ? { ...state, pid: null } : state;
      if (kept !== state && kept) await writeEtcdState(paths, kept);
      return { kind: 'stopped', state: kept };
    }

    const tls = await resolveEtcdTls(etcd, this.#secrets);
    if (tls.kind === 'missing' || tls.kind === 'invalid') {
      const reason = tls.kind === 'missing' ? EtcdReadyReason.TLSSecretMissing : EtcdReadyReason.TLSSecretInvalid;
      return { kind: 'tls-problem', reason, message: tls.message, state };
    }
    const peer = await resolveEtcdPeerTls(etcd, this.#secrets);
    if (peer.kind === 'missing' || peer.kind === 'invalid' || (peer.kind === 'plain' && etcdReplicas(etcd) > 1)) {
      const reason = peer.kind === 'invalid' ? EtcdReadyReason.TLSSecretInvalid : EtcdReadyReason.TLSSecretMissing;
      const message =
        peer.kind === 'plain' ? 'spec.etcd.peerUrlTls is required for more than one member' : peer.message;
      return { kind: 'tls-problem', reason, message, state };
    }
    const peerConfig = peer.kind === 'tls' ? { tls: peer.tls, host: this.#peerAddress } : undefined;
    const config = etcdLaunchConfig(etcd, tls.kind === 'tls' ? tls.tls : undefined, this.#options.etcdArgs, peerConfig);
    if (etcdHandedOver(etcd)) return this.#observeHandedOver(etcd, paths, id, config, state);
    if (config.peer && etcdReplicas(etcd) > 1)
      return this.#convergeCluster(etcd, paths, { ...config, peer: config.peer }, log);
    const source = etcd.spec.etcd.bootstrapWithExistingCluster;
    // A member that joins a running cluster never restores from backups or bootstraps one of its own.
    const joining = source !== undefined && !(await memberHasData(paths.dataDir));
    const backup: EtcdBackupConfig = joining ? { kind: 'off' } : await this.#backupConfig(etcd);

    const alive = state?.pid != null && isEtcdProcessFor(state.pid, paths.dataDir);
    if (state && alive && state.configHash === config.configHash) {
      if (await checkEtcdHealth(state.clientUrl, config.tls)) {
        this.#unhealthySince.delete(id);
        return this.#running(etcd, id, paths, backup, state, config, log);
      }
      const now = Date.now();
      const since = this.#unhealthySince.get(id) ?? now;
      this.#unhealthySince.set(id, since);
      const grace = this.#options.unhealthyGraceMs ?? DEFAULTS.unhealthyGraceMs;
      if (now - since < grace) return { kind: 'unhealthy', state, since, remainingMs: since + grace - now };
      log.warn({ pid: state.pid, unhealthyMs: now - since }, 'etcd keeps failing its health check; restarting it');
    } else if (state && alive) {
      log.info({ pid: state.pid }, 'etcd configuration changed; restarting it');
    } else if (state?.pid != null) {
      log.warn({ pid: state.pid }, 'etcd is gone; restarting it on its ports and data dir');
    }
    this.#unhealthySince.delete(id);
    // The sidecar of the etcd that is gone still holds the events it watched last: flush them
    // into the store before anything is restored from it.
    await this.#options.sidecars?.stop(id);
    const peerHost = config.peer?.host ?? '127.0.0.1';
    const peerPort = state?.peerPort ?? (await freePort(peerHost));
    const advertised = etcdAdvertisedPeerUrls(etcd, config.memberName, peerHost, peerPort);
    let peerOptions: EtcdPeer | undefined;
    if (joining) {
      await stopEtcdAt(paths, this.#stopGraceMs);
      // The ports go to the state file before the learner is added at them: a druid that crashes
      // after the add finds the learner again at the same peer URL instead of adding a second
      // one (etcd 3.4 takes one learner at a time; a stale one would block the join).
      if (!state) {
        state = await this.#plannedState(paths, config, peerPort);
        await writeEtcdState(paths, state);
      }
      const join = await joinAsLearner({
        via: source.clientEndpoints,
        tls: config.tls,
        name: config.memberName,
        peerUrls: advertised,
        ownPeerUrls: advertised,
        log,
      });
      if (typeof join === 'string') return { kind: 'join-pending', message: join, state };
      peerOptions = this.#peerOptions(etcd, config, join.initialCluster, 'existing', advertised);
    } else if (config.peer) {
      const own = advertised.map((url) => `${config.memberName}=${url}`).join(',');
      peerOptions = this.#peerOptions(etcd, config, own, 'new', advertised);
    }
    if (backup.kind !== 'off') {
      try {
        await stopEtcdAt(paths, this.#stopGraceMs);
        if (backup.kind === 'unavailable') {
          throw new Error(`cannot check the backups before starting etcd: ${backup.message}`);
        }
        await prepareDataDir({
          store: backup.store,
          dataDir: paths.dataDir,
          tempDir: paths.dir,
          memberName: config.memberName,
          peerUrl: advertised[0]!,
          logger: log,
          onRestoration: backup.onRestoration,
          onRestoreProgress: backup.onRestoreProgress,
        });
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        log.error({ err: error.message }, 'etcd data dir could not be restored from backups; etcd is not started');
        return { kind: 'restore-failed', error, state };
      }
    }
    try {
      const started = await this.#start(paths, config, state, peerPort, peerOptions);
      log.info({ pid: started.pid, clientUrl: started.clientUrl }, 'etcd started');
      return this.#running(etcd, id, paths, backup, started, config, log);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      log.error({ err: error.message }, 'etcd could not be started');
      return { kind: 'start-failed', error, state };
    }
  }

  /**
   * A running single member: a learner that joined a running cluster is promoted once caught up
   * (no backups until then), a member with peer TLS advertises its peer URLs, backups run.
   */
  async #running(
    etcd: Etcd,
    id: string,
    paths: EtcdPaths,
    backup: EtcdBackupConfig,
    state: EtcdState,
    config: EtcdLaunchConfig,
    log: Logger,
  ): Promise<Observation> {
    const source = etcd.spec.etcd.bootstrapWithExistingCluster;
    let own = await etcdMemberStatus(state.clientUrl, config.tls);
    if (own?.isLearner && source) {
      const via = [state.clientUrl, ...source.clientEndpoints];
      if (await promoteCaughtUpLearners(via, [{ name: config.memberName, id: own.memberId }], config.tls, log)) {
        own = await etcdMemberStatus(state.clientUrl, config.tls);
      }
    }
    const learner = own?.isLearner === true;
    if (own) applyMemberPriority(state.pid, learner, log);
    if (own && !learner && config.peer) {
      const urls = etcdAdvertisedPeerUrls(etcd, config.memberName, config.peer.host, state.peerPort);
      await ensureAdvertisedPeerUrls(state.clientUrl, config.tls, own.memberId, urls, log);
    }
    const backups = learner ? ({ kind: 'off' } as const) : backup;
    return {
      kind: 'running',
      state,
      backup: await this.#ensureSidecar(id, backups, config, memberSidecar(paths, state)),
      ...(source ? { joined: own !== undefined && !learner } : {}),
      ...(own && own.leaderId !== own.memberId ? { leader: false } : {}),
    };
  }

  /** The state file of a member not yet started: its ports picked, no pid. */
  async #plannedState(paths: EtcdPaths, config: EtcdLaunchConfig, peerPort: number): Promise<EtcdState> {
    let clientPort = await freePort();
    while (clientPort === peerPort) clientPort = await freePort();
    return {
      pid: null,
      clientPort,
      peerPort,
      startedAt: '',
      dataDir: paths.dataDir,
      clientUrl: `${config.tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`,
      configHash: '',
    };
  }

  /**
   * The backup configuration of `etcd`, its restores observed by the sidecars' metrics and
   * `onRestoreProgress`; off without sidecars (`spec.backup` is ignored then).
   */
  async #backupConfig(etcd: Etcd): Promise<EtcdBackupConfig> {
    const { sidecars, onRestoreProgress } = this.#options;
    if (!sidecars) return { kind: 'off' };
    return etcdBackupConfig(etcd, this.#secrets, {
      onRestoration: sidecars.restorationObserver(etcd),
      ...(onRestoreProgress ? { onRestoreProgress: (progress) => onRestoreProgress(etcd, progress) } : {}),
    });
  }

  /** The `peer` options of a single member that has peer TLS or joins a running cluster. */
  #peerOptions(
    etcd: Etcd,
    config: EtcdLaunchConfig,
    initialCluster: string,
    initialClusterState: 'new' | 'existing',
    advertised: readonly string[],
  ): EtcdPeer {
    return {
      host: config.peer?.host ?? '127.0.0.1',
      initialCluster,
      clusterToken: `${etcd.metadata.namespace}/${etcd.metadata.name}`,
      ...(config.peer ? { tls: config.peer.tls } : {}),
      initialClusterState,
      advertiseUrls: advertised.slice(1),
    };
  }

  /**
   * A handed-over Etcd (a live migration's source after `SourceReleased`): its members belong to
   * the destination's cluster now. Nothing is started, restarted, re-joined or backed up; what
   * still runs is reported, until the destination removes the members and the Etcd is deleted.
   */
  async #observeHandedOver(
    etcd: Etcd,
    paths: EtcdPaths,
    id: string,
    config: EtcdLaunchConfig,
    state: EtcdState | undefined,
  ): Promise<Observation> {
    this.#unhealthySince.delete(id);
    await this.#options.sidecars?.stop(id);
    const replicas = etcdReplicas(etcd);
    if (replicas > 1) {
      const members = await observeEtcdCluster(paths, etcd, replicas, config);
      return { kind: 'handed-over', running: members.filter((m) => m.running).length, replicas, state };
    }
    const alive = state?.pid != null && isEtcdProcessFor(state.pid, paths.dataDir);
    return { kind: 'handed-over', running: alive ? 1 : 0, replicas, state };
  }

  /** Brings the members of a multi-member Etcd to running (etcd-members.ts). */
  async #convergeCluster(
    etcd: Etcd,
    paths: EtcdPaths,
    config: EtcdLaunchConfig & { peer: EtcdPeerConfig },
    log: Logger,
  ): Promise<Observation> {
    const id = `${etcd.metadata.namespace}/${etcd.metadata.name}`;
    try {
      await adoptSingleMember({
        paths,
        memberPaths: etcdMemberPaths(paths, config.memberName),
        memberName: config.memberName,
        beforeStop: async () => this.#options.sidecars?.stop(id),
        logger: log,
        stopGraceMs: this.#stopGraceMs,
      });
    } catch (err) {
      return { kind: 'start-failed', error: err instanceof Error ? err : new Error(String(err)), state: undefined };
    }
    const backupConfig = await this.#backupConfig(etcd);
    const cluster = await convergeEtcdCluster({
      paths,
      backup: backupConfig,
      etcd,
      replicas: etcdReplicas(etcd),
      config,
      logger: log,
      startTimeoutMs: this.#options.startTimeoutMs,
      stopGraceMs: this.#stopGraceMs,
      binary: this.#options.binary,
      ...(this.#options.afterJoinPhase ? { afterJoinPhase: this.#options.afterJoinPhase } : {}),
    });
    for (const problem of cluster.problems) log.error(problem);
    // A joint cluster's leader may be a source member: the sidecar waits for a leader of this
    // Etcd's own (after the leadership moved) and then begins with a full snapshot.
    const backup = await this.#leaderSidecar(id, paths, backupConfig, config, cluster.members);
    return {
      kind: 'cluster',
      members: cluster.members,
      problems: cluster.problems,
      restoring: cluster.restoring,
      backup,
      ...(etcd.spec.etcd.bootstrapWithExistingCluster ? { joined: cluster.members.every((m) => m.healthy) } : {}),
    };
  }

  /**
   * The backup sidecar of a cluster, on its leader's client URL (docs/ha-control-planes.md,
   * "Backups from the leader"): a new leader restarts it there, after the old one flushed its
   * deltas, and its first snapshot is a full one. Without a healthy leader (an election, quorum
   * lost) the running sidecar is left as it is.
   */
  async #leaderSidecar(
    id: string,
    paths: EtcdPaths,
    backup: EtcdBackupConfig,
    config: EtcdLaunchConfig,
    members: readonly EtcdMemberObservation[],
  ): Promise<BackupObservation> {
    const leader = members.find((m) => m.leader && m.healthy);
    const running = this.#options.sidecars?.get(id);
    if (!leader && backup.kind === 'on') {
      return running
        ? sidecarObservation(running, backup)
        : {
            kind: 'failed',
            reason: EtcdBackupReason.Pending,
            message: 'waiting for the etcd cluster to have a leader',
          };
    }
    const recorded = await readBackupSidecarState(paths);
    return this.#ensureSidecar(id, backup, config, {
      endpoint: leader?.state.clientUrl ?? '',
      port: recorded.port,
      startWithFullSnapshot: recorded.member !== leader?.name,
      started: async (port) => {
        if (recorded.port === port && recorded.member === leader?.name) return;
        await writeBackupSidecarState(paths, { ...(port !== undefined ? { port } : {}), member: leader?.name });
      },
    });
  }

  /**
   * Starts a detached server on the data dir, on the recorded ports (fresh free ones the first
   * time), after stopping whatever still serves that data dir, and records it in the state file.
   */
  async #start(
    paths: EtcdPaths,
    config: EtcdLaunchConfig,
    state: EtcdState | undefined,
    peerPort: number,
    peer: EtcdPeer | undefined,
  ): Promise<EtcdState> {
    await stopEtcdAt(paths, this.#stopGraceMs);
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const started = await startEtcd({
      name: config.memberName,
      dataDir: paths.dataDir,
      confDir: paths.confDir,
      clientHost: '127.0.0.1',
      moreClientHosts: etcdMoreClientHosts(config.peer),
      clientPort: state?.clientPort,
      peerPort,
      tls: config.tls,
      ...(peer ? { peer } : {}),
      quotaBackendBytes: config.quotaBackendBytes,
      extraArgs: config.extraArgs,
      detached: true,
      startTimeoutMs: this.#options.startTimeoutMs,
      stopGraceMs: this.#stopGraceMs,
      binary: this.#options.binary,
      ...joiningMemberLaunch(peer?.initialClusterState === 'existing'),
    });
    const next: EtcdState = {
      pid: started.pid,
      clientPort: Number(new URL(started.clientUrl).port),
      peerPort: Number(new URL(started.peerUrl).port),
      startedAt: nowTimestamp(),
      dataDir: paths.dataDir,
      clientUrl: started.clientUrl,
      configHash: config.configHash,
      ...(state?.backupPort ? { backupPort: state.backupPort } : {}),
    };
    try {
      await writeEtcdState(paths, next);
    } catch (err) {
      await started.stop();
      throw err;
    }
    return next;
  }

  /**
   * The running backup sidecar for a healthy etcd (a single member, or a cluster's leader),
   * started when missing or when it watches another etcd than `target`'s; its port is recorded
   * so its URL survives seed restarts and leader changes.
   */
  async #ensureSidecar(
    id: string,
    backup: EtcdBackupConfig,
    config: EtcdLaunchConfig,
    target: SidecarTarget,
  ): Promise<BackupObservation> {
    const sidecars = this.#options.sidecars;
    if (!sidecars || backup.kind === 'off') {
      await sidecars?.stop(id);
      return { kind: 'off' };
    }
    if (backup.kind === 'unavailable') {
      return { kind: 'failed', reason: EtcdBackupReason.StoreUnavailable, message: backup.message };
    }
    const tls = config.tls;
    const clientPair = tls ? (tls.client ?? { certPem: tls.certPem, keyPem: tls.keyPem }) : undefined;
    try {
      const sidecar = await sidecars.ensure(id, {
        snapshotter: {
          ...backup.snapshotter,
          store: backup.store.store,
          ...(target.startWithFullSnapshot ? { startWithFullSnapshot: true } : {}),
          etcd: {
            endpoint: target.endpoint,
            ...(tls && clientPair
              ? { tls: { caPem: tls.caPem, certPem: clientPair.certPem, keyPem: clientPair.keyPem } }
              : {}),
          },
        },
        ...(tls ? { serverTls: { certPem: tls.certPem, keyPem: tls.keyPem, caPem: tls.caPem } } : {}),
        port: target.port ?? 0,
        key: JSON.stringify([backup.key, target.endpoint, config.configHash]),
      });
      await target.started(sidecar.port);
      return sidecarObservation(sidecar, backup);
    } catch (err) {
      return { kind: 'failed', reason: EtcdBackupReason.Failed, message: (err as Error).message };
    }
  }

  async #delete(etcd: Etcd, paths: EtcdPaths, id: string): Promise<Result> {
    if (!(etcd.metadata.finalizers ?? []).includes(ETCD_DRUID_FINALIZER)) return {};
    this.#unhealthySince.delete(id);
    this.#joinState.delete(id);
    await this.#options.sidecars?.stop(id);
    const stopped = await stopEtcdAt(paths, this.#stopGraceMs);
    // Slice by slice: a live migration's destination member is serving from the same disk.
    await removeTreeGradually(paths.dir);
    // The namespace's directory goes with its last etcd; one still in use is not empty.
    await rmdir(dirname(paths.dir)).catch(() => undefined);
    this.#log.info({ etcd: id, pids: stopped }, 'etcd stopped and its data removed');
    await this.#removeFinalizer(etcd);
    return {};
  }

  async #ensureFinalizer(etcd: Etcd): Promise<void> {
    await addFinalizer(this.#etcds, etcd, ETCD_DRUID_FINALIZER);
  }

  async #removeFinalizer(etcd: Etcd): Promise<void> {
    await removeFinalizer(this.#etcds, etcd, ETCD_DRUID_FINALIZER);
  }

  /** Writes the status the observation calls for, unless only timestamps would change. */
  async #report(etcd: Etcd, observation: Observation): Promise<void> {
    const namespace = etcd.metadata.namespace ?? '';
    const name = etcd.metadata.name!;
    const current = await this.#etcds.find(namespace, name);
    if (!current || current.metadata.deletionTimestamp) return;
    const status = statusFor(etcd, current, observation);
    const old: Record<string, unknown> = { ...current.status };
    if (Object.entries(status).every(([field, value]) => sameIgnoringTimes(old[field], value))) return;
    await this.#etcds.patch(namespace, name, { status }, { subresource: 'status' }).catch(ignoreNotFound);
  }
}

/** Where a sidecar is to run and how its port is recorded. */
interface SidecarTarget {
  /** The client URL of the etcd it snapshots. */
  endpoint: string;
  /** The HTTPS port it served on before, undefined the first time. */
  port: number | undefined;
  /** Begin with a full snapshot (the sidecar moved to another member). */
  startWithFullSnapshot: boolean;
  /** Records where it serves once it runs. */
  started(port: number | undefined): Promise<void>;
}

/** A single member's sidecar: its port kept in the member's state file. */
function memberSidecar(paths: EtcdPaths, state: EtcdState): SidecarTarget {
  return {
    endpoint: state.clientUrl,
    port: state.backupPort,
    startWithFullSnapshot: false,
    started: async (port) => {
      if (port === undefined || state.backupPort === port) return;
      state.backupPort = port;
      await writeEtcdState(paths, state);
    },
  };
}

/** How a running sidecar's backups are doing. */
function sidecarObservation(
  sidecar: BackupSidecar,
  backup: Extract<EtcdBackupConfig, { kind: 'on' }>,
): BackupObservation {
  const health = sidecar.snapshotter.health();
  return {
    kind: 'on',
    url: sidecar.url,
    healthy: health.healthy,
    hasFullSnapshot: health.lastSnapshot !== undefined,
    message: health.healthy
      ? `Backups are taken to ${backup.store.store.location}`
      : `Backups to ${backup.store.store.location} fail: ${health.lastError ?? 'unknown error'}`,
  };
}
