/**
 * The members of a multi-member Etcd (`spec.replicas: 3`, docs/ha-control-planes.md): one detached
 * etcd process per member, each with its own data dir, ports and state file, peer traffic over
 * TLS from `spec.etcd.peerUrlTls`:
 *
 * ```
 * <runtimeDir>/<namespace>/<name>/
 *   members/<name>-<i>/data, conf/, etcd.json   one member, as etcd-state.ts lays out a single one
 *   cluster-bootstrapped                        written once all members were healthy together
 * ```
 *
 * Every member's ports are picked and recorded before any member starts, because each must know
 * all peer URLs (`--initial-cluster`). A member whose process is gone is restarted on its ports
 * and data dir; the others are left alone, so quorum is never taken away by the druid. Until the
 * marker `cluster-bootstrapped` exists, a member without data bootstraps with the others (a crash
 * between the first starts is resumed); after it, a member without data has lost it and is never
 * bootstrapped anew (that would make a second cluster): while the others are healthy, its old
 * membership is removed, it is added as a learner, started with `--initial-cluster-state=existing`,
 * and promoted once it has applied what the leader had committed.
 *
 * A cluster none of whose members has data, with snapshots in its backup store (a migration's
 * destination, or every member lost), is restored the same way: member 0 from the backups
 * (etcd-backup.ts `prepareDataDir`), started as a one-member cluster, then the others added as
 * learners one at a time (etcd-cluster-restore.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Etcd } from '../../api/druid/etcd.js';
import { nowTimestamp } from '../../api/meta.js';
import {
  checkEtcdHealth,
  etcdMemberList,
  etcdMemberStatus,
  etcdMembershipChange,
  freePort,
  startEtcd,
} from '../../process/etcd-process.js';
import type { EtcdBackupConfig } from './etcd-backup.js';
import { EtcdClusterMarker, hasMarker, memberHasData, removeMarker, writeMarker } from './etcd-cluster-markers.js';
import { restoreFirstMember } from './etcd-cluster-restore.js';
import type { EtcdLaunchConfig } from './etcd-config.js';
import { isEtcdProcessFor, stopEtcdAt } from './etcd-processes.js';
import { type EtcdPaths, type EtcdState, etcdPaths, readEtcdState, writeEtcdState } from './etcd-state.js';

/** One member as a reconcile found (or made) it. */
export interface EtcdMemberObservation {
  name: string;
  state: EtcdState;
  /** Its process is alive. */
  running: boolean;
  /** It answers its health check (it has a leader and serves). */
  healthy: boolean;
  /** Its member ID (decimal), when it answered. */
  id?: string;
  leader: boolean;
  /** A learner (re-joining, not yet promoted): it votes for nothing and counts as not ready. */
  learner: boolean;
}

export interface EtcdClusterObservation {
  members: EtcdMemberObservation[];
  /** Why a member could not be (re)started; the others keep running. */
  problems: string[];
  /**
   * The cluster is being restored from its backups and not every member has joined yet: not
   * Ready, whatever the quorum says.
   */
  restoring: boolean;
}

export interface EtcdClusterOptions {
  /** The Etcd's directory (etcd-state.ts `etcdPaths`). */
  paths: EtcdPaths;
  etcd: Etcd;
  replicas: number;
  /** Client TLS, flags and their digest, as for a single member. */
  config: EtcdLaunchConfig;
  /** The members' peer pair and the CA they trust. */
  peerTls: { caPem: string; certPem: string; keyPem: string };
  logger: Logger;
  startTimeoutMs?: number;
  stopGraceMs?: number;
  binary?: string;
  /** Where a cluster none of whose members has data is restored from; default off. */
  backup?: EtcdBackupConfig;
  /**
   * A test aid: called right after each phase of a member's join took effect; a throw stands
   * for the druid crashing there (its successor must resume from the member list and files).
   */
  afterJoinPhase?: (member: string, phase: EtcdJoinPhase) => void;
}

/** The phases of a member joining a running cluster, in order. */
export type EtcdJoinPhase = 'old-membership-removed' | 'learner-added' | 'started' | 'promoted';

/** The member names of an Etcd of `replicas` members: `<name>-0` … as etcd-druid's pods. */
export function etcdMemberNames(etcd: Etcd, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `${etcd.metadata.name}-${i}`);
}

/** `--initial-cluster-token` of an Etcd's members. */
function etcdClusterToken(etcd: Etcd): string {
  return `${etcd.metadata.namespace}/${etcd.metadata.name}`;
}

/** The files of one member, below its Etcd's directory. */
export function etcdMemberPaths(paths: EtcdPaths, memberName: string): EtcdPaths {
  return etcdPaths(paths.dir, 'members', memberName);
}

/** Brings every member to running and says how each is doing. */
export async function convergeEtcdCluster(options: EtcdClusterOptions): Promise<EtcdClusterObservation> {
  const { paths, etcd, replicas, logger: log } = options;
  const names = etcdMemberNames(etcd, replicas);
  const states = await ensureMemberStates(paths, names, options.config.tls ? 'https' : 'http');
  const initialCluster = names.map((name, i) => `${name}=https://127.0.0.1:${states[i]!.peerPort}`).join(',');
  const configHash = createHash('sha256')
    .update(JSON.stringify([options.config.configHash, options.peerTls, initialCluster]))
    .digest('hex');
  const problems: string[] = [];
  const clusterToken = etcdClusterToken(etcd);
  const restore = await restoreFirstMember({
    paths,
    memberPaths: etcdMemberPaths(paths, names[0]!),
    states,
    memberName: names[0]!,
    clusterToken,
    backup: options.backup,
    logger: log,
    ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
  });
  if (restore.kind === 'failed') {
    problems.push(restore.message);
    return { members: await observeMembers(names, states, options.config), problems, restoring: true };
  }
  const bootstrapped = await hasMarker(paths, EtcdClusterMarker.Bootstrapped);

  const toStart: number[] = [];
  /** Members re-joining as learners, with the `--initial-cluster` of the running cluster. */
  const joining = new Map<number, string>();
  for (const [i, name] of names.entries()) {
    const state = states[i]!;
    const alive = state.pid !== null && isEtcdProcessFor(state.pid, state.dataDir);
    if (alive && state.configHash === configHash) continue;
    if (alive) {
      // A changed configuration rolls one member at a time, and only while all others are healthy.
      if (toStart.length > 0 || !(await othersHealthy(states, i, options.config))) continue;
      log.info({ member: name, pid: state.pid }, 'etcd member configuration changed; restarting it');
    } else if (bootstrapped && !(await memberHasData(state.dataDir))) {
      const rejoin = await prepareRejoin(options, states, i, initialCluster, log);
      if (typeof rejoin === 'string') {
        problems.push(rejoin);
        continue;
      }
      joining.set(i, rejoin.initialCluster);
    } else if (state.pid !== null) {
      log.warn({ member: name, pid: state.pid }, 'etcd member is gone; restarting it on its ports and data dir');
    }
    toStart.push(i);
  }

  const started = new Set<number>();
  await Promise.all(
    toStart.map(async (i) => {
      const name = names[i]!;
      try {
        const cluster = joining.get(i);
        states[i] = await startMember(
          options,
          name,
          states[i]!,
          cluster ?? initialCluster,
          configHash,
          cluster ? 'existing' : 'new',
        );
        started.add(i);
        log.info({ member: name, pid: states[i]!.pid }, 'etcd member started');
      } catch (err) {
        const message = (err as Error).message.split('\n')[0] ?? String(err);
        problems.push(`member ${name} could not be started: ${message}`);
      }
    }),
  );

  for (const i of joining.keys()) if (started.has(i)) options.afterJoinPhase?.(names[i]!, 'started');
  let members = await observeMembers(names, states, options.config);
  if (members.some((m) => m.learner)) {
    if (await promoteCaughtUpLearners(members, options, log)) {
      members = await observeMembers(names, states, options.config);
    } else {
      problems.push('a re-joining member has not caught up with the leader yet');
    }
  }
  const allJoined = members.every((m) => m.healthy);
  if (!bootstrapped && allJoined) await writeMarker(paths, EtcdClusterMarker.Bootstrapped);
  const restoring = await hasMarker(paths, EtcdClusterMarker.Restoring);
  if (restoring && allJoined) {
    await removeMarker(paths, EtcdClusterMarker.Restoring);
    log.info('etcd cluster restored from backups: every member joined');
  }
  return { members, problems, restoring: restoring && !allJoined };
}

/** Every member's state file, written with fresh ports (and no pid) for members that have none yet. */
async function ensureMemberStates(
  paths: EtcdPaths,
  names: readonly string[],
  scheme: 'http' | 'https',
): Promise<EtcdState[]> {
  const taken = new Set<number>();
  const states = await Promise.all(names.map((name) => readEtcdState(etcdMemberPaths(paths, name))));
  for (const s of states) if (s) taken.add(s.clientPort).add(s.peerPort);
  const pick = async () => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const result: EtcdState[] = [];
  for (const [i, name] of names.entries()) {
    let state = states[i];
    if (!state) {
      const memberPaths = etcdMemberPaths(paths, name);
      const clientPort = await pick();
      state = {
        pid: null,
        clientPort,
        peerPort: await pick(),
        startedAt: '',
        dataDir: memberPaths.dataDir,
        clientUrl: `${scheme}://127.0.0.1:${clientPort}`,
        configHash: '',
      };
      await writeEtcdState(memberPaths, state);
    }
    result.push(state);
  }
  return result;
}

async function startMember(
  options: EtcdClusterOptions,
  name: string,
  state: EtcdState,
  initialCluster: string,
  configHash: string,
  initialClusterState: 'new' | 'existing',
): Promise<EtcdState> {
  const memberPaths = etcdMemberPaths(options.paths, name);
  await stopEtcdAt(memberPaths, options.stopGraceMs);
  await mkdir(memberPaths.dir, { recursive: true, mode: 0o700 });
  const { config } = options;
  const started = await startEtcd({
    name,
    dataDir: memberPaths.dataDir,
    confDir: memberPaths.confDir,
    clientHost: '127.0.0.1',
    clientPort: state.clientPort,
    peerPort: state.peerPort,
    tls: config.tls,
    peer: {
      host: '127.0.0.1',
      initialCluster,
      clusterToken: etcdClusterToken(options.etcd),
      tls: options.peerTls,
      initialClusterState,
    },
    quotaBackendBytes: config.quotaBackendBytes,
    extraArgs: config.extraArgs,
    detached: true,
    startTimeoutMs: options.startTimeoutMs,
    stopGraceMs: options.stopGraceMs,
    binary: options.binary,
  });
  const next: EtcdState = {
    ...state,
    pid: started.pid,
    startedAt: nowTimestamp(),
    clientUrl: started.clientUrl,
    configHash,
  };
  try {
    await writeEtcdState(memberPaths, next);
  } catch (err) {
    await started.stop();
    throw err;
  }
  return next;
}

/**
 * Makes room for member `i`, which has no data, to join the running cluster as a learner
 * (etcd-druid's way): its old membership removed, a learner at its peer URL added. Only while
 * every other member of the cluster's member list is a healthy voter: a removal then never takes
 * the quorum away, and learners join one at a time (etcd 3.4 allows one). The list, not the
 * state files, says who is in the cluster: while it is restored from backups (member 0 alone,
 * the others joining) the members not yet added do not count. Each step is found again from the
 * member list, so a crash between them resumes. Returns the `--initial-cluster` to start it
 * with, or why not now.
 */
async function prepareRejoin(
  options: EtcdClusterOptions,
  states: readonly EtcdState[],
  i: number,
  initialCluster: string,
  log: Logger,
): Promise<{ initialCluster: string } | string> {
  const name = etcdMemberNames(options.etcd, states.length)[i]!;
  const tls = options.config.tls;
  const notYet = (why: string) => `member ${name} has no data and joins the cluster once ${why}`;
  const peerUrl = peerUrlOf(initialCluster, name)!;
  const healthy = await Promise.all(
    states.map(async (s, j) => j !== i && (await checkEtcdHealth(s.clientUrl, tls)) && s.clientUrl),
  );
  const via = healthy.find((url) => url !== false);
  if (!via) return notYet('another member is healthy');
  let list = await etcdMemberList(via, tls);
  if (!list) return notYet('the member list can be read');
  // A member scaled up from a single one still has its plain-HTTP peer URL in the membership
  // (etcd-scale-up.ts); those joining must reach it at the peer TLS URL it now listens on.
  for (const member of list) {
    const expected = peerUrlOf(initialCluster, member.name);
    if (!expected || member.peerUrls.includes(expected)) continue;
    if (!(await etcdMembershipChange(via, tls, { op: 'update', id: member.id, peerUrl: expected })))
      return notYet(`the peer URL of ${member.name} is updated`);
    log.info({ member: member.name, peerUrl: expected }, 'etcd member peer URL updated');
    list = await etcdMemberList(via, tls);
    if (!list) return notYet('the member list can be read');
  }
  for (const other of list.filter((m) => !m.peerUrls.includes(peerUrl))) {
    if (other.isLearner) return notYet(`the learner ${other.name || other.peerUrls[0]} has been promoted`);
    const answers = await Promise.all(other.clientUrls.map((url) => checkEtcdHealth(url, tls)));
    if (!answers.includes(true)) return notYet(`member ${other.name || other.peerUrls[0]} is healthy`);
  }
  let entry = list.find((m) => m.peerUrls.includes(peerUrl));
  if (entry && !entry.isLearner) {
    if (!(await etcdMembershipChange(via, tls, { op: 'remove', id: entry.id })))
      return notYet('its old membership is removed');
    log.warn({ member: name, id: entry.id }, 'etcd member lost its data: removed its old membership');
    options.afterJoinPhase?.(name, 'old-membership-removed');
    entry = undefined;
  }
  if (!entry) {
    if (!(await etcdMembershipChange(via, tls, { op: 'add-learner', peerUrl })))
      return notYet('it is added as a learner');
    log.info({ member: name }, 'etcd member added as a learner');
    options.afterJoinPhase?.(name, 'learner-added');
    list = await etcdMemberList(via, tls);
    if (!list) return notYet('the member list can be read');
  }
  const cluster = list.map((m) => `${m.name || (m.peerUrls.includes(peerUrl) ? name : '')}=${m.peerUrls[0]}`);
  return { initialCluster: cluster.join(',') };
}

/** The peer URL `initialCluster` (`name=url,…`) gives member `name`. */
function peerUrlOf(initialCluster: string, name: string): string | undefined {
  return initialCluster
    .split(',')
    .find((m) => m.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

/**
 * Promotes every learner that has applied all the leader had committed when asked (etcd refuses
 * a lagging learner too, but it is checked first). Resolves whether none is left lagging.
 */
async function promoteCaughtUpLearners(
  members: readonly EtcdMemberObservation[],
  options: EtcdClusterOptions,
  log: Logger,
): Promise<boolean> {
  const { config } = options;
  const leader = members.find((m) => m.leader);
  if (!leader) return false;
  let allPromoted = true;
  for (const learner of members.filter((m) => m.learner && m.id)) {
    // The leader's index first: the learner must have reached it afterwards.
    const leaderStatus = await etcdMemberStatus(leader.state.clientUrl, config.tls);
    const learnerStatus = await etcdMemberStatus(learner.state.clientUrl, config.tls);
    const caughtUp = leaderStatus && learnerStatus && learnerStatus.raftAppliedIndex >= leaderStatus.raftIndex;
    if (
      caughtUp &&
      (await etcdMembershipChange(leader.state.clientUrl, config.tls, { op: 'promote', id: learner.id! }))
    ) {
      log.info({ member: learner.name, id: learner.id }, 'etcd learner caught up and promoted');
      options.afterJoinPhase?.(learner.name, 'promoted');
    } else {
      allPromoted = false;
    }
  }
  return allPromoted;
}

async function othersHealthy(states: readonly EtcdState[], except: number, config: EtcdLaunchConfig) {
  const checks = states.map((s, i) => i === except || checkEtcdHealth(s.clientUrl, config.tls));
  return (await Promise.all(checks)).every(Boolean);
}

/** Health, ID and leadership of every member; the leader is the one most members follow. */
async function observeMembers(
  names: readonly string[],
  states: readonly EtcdState[],
  config: EtcdLaunchConfig,
): Promise<EtcdMemberObservation[]> {
  const seen = await Promise.all(
    states.map(async (state) => {
      const running = state.pid !== null && isEtcdProcessFor(state.pid, state.dataDir);
      if (!running) return { running, healthy: false, report: undefined };
      const [healthy, report] = await Promise.all([
        checkEtcdHealth(state.clientUrl, config.tls),
        etcdMemberStatus(state.clientUrl, config.tls),
      ]);
      return { running, healthy, report };
    }),
  );
  const votes = new Map<string, number>();
  for (const { report } of seen) {
    if (report && report.leaderId !== '0') votes.set(report.leaderId, (votes.get(report.leaderId) ?? 0) + 1);
  }
  const leaderId = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return names.map((name, i) => {
    const { running, healthy, report } = seen[i]!;
    return {
      name,
      state: states[i]!,
      running,
      healthy: healthy && report?.isLearner !== true,
      ...(report ? { id: report.memberId } : {}),
      leader: report !== undefined && report.memberId === leaderId,
      learner: report?.isLearner === true,
    };
  });
}
