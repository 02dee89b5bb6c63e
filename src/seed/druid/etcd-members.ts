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
 *
 * An Etcd with `spec.etcd.bootstrapWithExistingCluster` (GEP-39's live migration) never
 * bootstraps and is never restored: its members join the source cluster one at a time, the same
 * way a member that lost its data re-joins (`joinAsLearner`, then `promoteCaughtUpLearners`),
 * through the source's client endpoints until members of its own are voters. A single-member
 * Etcd joins through the same two functions (etcd-controller.ts).
 *
 * One file (~590 lines) on purpose: starting, re-joining, joining and observing members read and
 * write the same member state files and the same member list, and a crash between any two of
 * their steps is resumed from those alone; keeping them together keeps that resumption readable in
 * one place. The whole-cluster restore and the scale-up, which only call into it, are apart.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type Etcd, etcdMemberNameAt } from '../../api/druid/etcd.js';
import { nowTimestamp } from '../../api/meta.js';
import { isCaughtUp } from '../../process/etcd-cluster-ops.js';
import { checkEtcdHealth, etcdMemberList, etcdMemberStatus, etcdMembershipChange } from '../../process/etcd-gateway.js';
import { type EtcdTls, freePort, startEtcd } from '../../process/etcd-process.js';
import type { EtcdBackupConfig } from './etcd-backup.js';
import { EtcdClusterMarker, hasMarker, memberHasData, removeMarker, writeMarker } from './etcd-cluster-markers.js';
import { restoreFirstMember } from './etcd-cluster-restore.js';
import {
  type EtcdLaunchConfig,
  type EtcdPeerConfig,
  etcdAdvertisedPeerUrls,
  etcdMoreClientHosts,
} from './etcd-config.js';
import { isEtcdProcessFor, stopEtcdAt } from './etcd-processes.js';
import { type EtcdPaths, type EtcdState, etcdPaths, readEtcdState, writeEtcdState } from './etcd-state.js';
import { applyMemberPriority, joiningMemberLaunch } from './learner-priority.js';

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
  /** Client TLS, peer TLS and address, flags and their digest. */
  config: EtcdLaunchConfig & { peer: EtcdPeerConfig };
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

/** The member names of an Etcd of `replicas` members: `[<prefix>-]<name>-0` … as etcd-druid's pods. */
export function etcdMemberNames(etcd: Pick<Etcd, 'metadata' | 'spec'>, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => etcdMemberNameAt(etcd, i));
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
  const { paths, etcd, replicas, config, logger: log } = options;
  const names = etcdMemberNames(etcd, replicas);
  const states = await ensureMemberStates(paths, names, config);
  const advertised = names.map((name, i) => etcdAdvertisedPeerUrls(etcd, name, config.peer.host, states[i]!.peerPort));
  const initialCluster = names.flatMap((name, i) => advertised[i]!.map((url) => `${name}=${url}`)).join(',');
  const configHash = createHash('sha256')
    .update(JSON.stringify([config.configHash, initialCluster]))
    .digest('hex');
  const source = etcd.spec.etcd.bootstrapWithExistingCluster;
  const problems: string[] = [];
  const clusterToken = etcdClusterToken(etcd);
  const restore = await restoreFirstMember({
    paths,
    memberPaths: etcdMemberPaths(paths, names[0]!),
    states,
    memberName: names[0]!,
    clusterToken,
    // A member of a joint cluster has its data from its peers, never from a bucket.
    backup: source ? { kind: 'off' } : options.backup,
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
    const hasData = await memberHasData(state.dataDir);
    if (alive) {
      // A changed configuration rolls one member at a time, and only while all others are healthy.
      if (toStart.length > 0 || !(await othersHealthy(states, i, config))) continue;
      log.info({ member: name, pid: state.pid }, 'etcd member configuration changed; restarting it');
    } else if (source && !bootstrapped && !hasData) {
      // Joining the source cluster: one member at a time, each once the ones before it are voters.
      if (joining.size > 0 || toStart.length > 0 || !(await votersBefore(states, i, config.tls))) continue;
      const join = await joinAsLearner({
        via: [...runningClientUrls(states, i), ...source.clientEndpoints],
        tls: config.tls,
        name,
        peerUrls: advertised[i]!,
        ownPeerUrls: advertised.flat(),
        log,
        ...(options.afterJoinPhase ? { afterJoinPhase: options.afterJoinPhase } : {}),
      });
      if (typeof join === 'string') {
        problems.push(join);
        continue;
      }
      joining.set(i, join.initialCluster);
    } else if (bootstrapped && !hasData) {
      const rejoin = await prepareRejoin(options, states, i, initialCluster, advertised, log);
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
  let members = await observeMembers(names, states, config);
  if (members.some((m) => m.learner)) {
    const via = [...members.filter((m) => m.healthy).map((m) => m.state.clientUrl), ...(source?.clientEndpoints ?? [])];
    const learners = members.filter((m) => m.learner && m.id).map((m) => ({ name: m.name, id: m.id! }));
    if (await promoteCaughtUpLearners(via, learners, config.tls, log, options.afterJoinPhase)) {
      members = await observeMembers(names, states, config);
    } else {
      problems.push(`a ${source && !bootstrapped ? '' : 're-'}joining member has not caught up with the leader yet`);
    }
  }
  for (const member of members) if (member.id) applyMemberPriority(member.state.pid, member.learner, log);
  for (const [i, member] of members.entries()) {
    if (member.healthy && member.id) {
      await ensureAdvertisedPeerUrls(member.state.clientUrl, config.tls, member.id, advertised[i]!, log);
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
  config: EtcdLaunchConfig & { peer: EtcdPeerConfig },
): Promise<EtcdState[]> {
  const scheme = config.tls ? 'https' : 'http';
  const taken = new Set<number>();
  const states = await Promise.all(names.map((name) => readEtcdState(etcdMemberPaths(paths, name))));
  for (const s of states) if (s) taken.add(s.clientPort).add(s.peerPort);
  const pick = async (host = '127.0.0.1') => {
    for (;;) {
      const port = await freePort(host);
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
        peerPort: await pick(config.peer.host),
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
    moreClientHosts: etcdMoreClientHosts(config.peer),
    clientPort: state.clientPort,
    peerPort: state.peerPort,
    tls: config.tls,
    peer: {
      host: config.peer.host,
      initialCluster,
      clusterToken: etcdClusterToken(options.etcd),
      tls: config.peer.tls,
      initialClusterState,
      advertiseUrls: etcdAdvertisedPeerUrls(options.etcd, name, config.peer.host, state.peerPort).slice(1),
    },
    quotaBackendBytes: config.quotaBackendBytes,
    extraArgs: config.extraArgs,
    detached: true,
    startTimeoutMs: options.startTimeoutMs,
    stopGraceMs: options.stopGraceMs,
    binary: options.binary,
    ...joiningMemberLaunch(initialClusterState === 'existing'),
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
 * (etcd-druid's way) through a healthy member of its own Etcd (`joinAsLearner`). The list, not
 * the state files, says who is in the cluster: while it is restored from backups (member 0 alone,
 * the others joining) the members not yet added do not count. Returns the `--initial-cluster` to
 * start it with, or why not now.
 */
async function prepareRejoin(
  options: EtcdClusterOptions,
  states: readonly EtcdState[],
  i: number,
  initialCluster: string,
  advertised: readonly (readonly string[])[],
  log: Logger,
): Promise<{ initialCluster: string } | string> {
  const name = etcdMemberNames(options.etcd, states.length)[i]!;
  const tls = options.config.tls;
  const notYet = (why: string) => `member ${name} has no data and joins the cluster once ${why}`;
  const healthy = await Promise.all(
    states.map(async (s, j) => j !== i && (await checkEtcdHealth(s.clientUrl, tls)) && s.clientUrl),
  );
  const via = healthy.find((url) => url !== false);
  if (!via) return notYet('another member is healthy');
  const list = await etcdMemberList(via, tls);
  if (!list) return notYet('the member list can be read');
  // A member scaled up from a single one still has its plain-HTTP peer URL in the membership
  // (etcd-scale-up.ts); those joining must reach it at the peer TLS URL it now listens on.
  for (const member of list) {
    const expected = peerUrlsOf(initialCluster, member.name);
    if (expected.length === 0 || sameUrls(member.peerUrls, expected)) continue;
    if (!(await etcdMembershipChange(via, tls, { op: 'update', id: member.id, peerUrls: expected })))
      return notYet(`the peer URL of ${member.name} is updated`);
    log.info({ member: member.name, peerUrls: expected }, 'etcd member peer URL updated');
  }
  return joinAsLearner({
    via: [via],
    tls,
    name,
    peerUrls: advertised[i]!,
    ownPeerUrls: advertised.flat(),
    log,
    ...(options.afterJoinPhase ? { afterJoinPhase: options.afterJoinPhase } : {}),
  });
}

/** The peer URLs `initialCluster` (`name=url,…`) gives member `name`. */
function peerUrlsOf(initialCluster: string, name: string): string[] {
  return initialCluster
    .split(',')
    .filter((m) => m.startsWith(`${name}=`))
    .map((m) => m.slice(name.length + 1));
}

export interface JoinAsLearnerOptions {
  /** Client URLs of running members of the cluster to join; the first that answers is asked. */
  via: readonly string[];
  tls: EtcdTls | undefined;
  /** The joining member's name. */
  name: string;
  /** The peer URLs it advertises (its listener's first). */
  peerUrls: readonly string[];
  /** Every peer URL of the Etcd's own members: a learner at one of them is one of its own joining. */
  ownPeerUrls: readonly string[];
  log: Logger;
  afterJoinPhase?: EtcdClusterOptions['afterJoinPhase'];
}

/**
 * Adds a member without data as a learner of the running cluster `via` reaches, only while every
 * other member of the member list is a healthy voter: a removal then never takes the quorum away,
 * and learners join one at a time (etcd 3.4 allows one). A learner that never started, at peer
 * URLs none of the Etcd's members has, is a stale add (of a druid that ran with another peer
 * address): it holds no data and would block the add, so it is removed. Then an old voter
 * membership at its peer URL (a member that lost its data) is removed, and a learner added unless
 * one is there. Each step is found again from the member list, so a crash between them resumes.
 * Returns the `--initial-cluster` to start it with (`--initial-cluster-state existing`), or why
 * not now. Never creates a cluster: without an answer from `via`, nothing starts.
 */
export async function joinAsLearner(options: JoinAsLearnerOptions): Promise<{ initialCluster: string } | string> {
  const { via, tls, name, peerUrls, log } = options;
  const notYet = (why: string) => `member ${name} has no data and joins the cluster once ${why}`;
  const [peerUrl, ...morePeerUrls] = peerUrls;
  if (!peerUrl) return notYet('it has a peer URL');
  const ask = async <T>(call: (url: string) => Promise<T | undefined>) => {
    for (const url of via) {
      const answer = await call(url);
      if (answer !== undefined && answer !== false) return answer;
    }
    return undefined;
  };
  let list = await ask((url) => etcdMemberList(url, tls));
  if (!list) return notYet(`the member list can be read at ${via.join(', ')}`);
  for (const other of list.filter((m) => !m.peerUrls.includes(peerUrl))) {
    const stale = other.isLearner && other.name === '' && !other.peerUrls.some((u) => options.ownPeerUrls.includes(u));
    if (stale) {
      if (await ask((url) => etcdMembershipChange(url, tls, { op: 'remove', id: other.id })))
        log.warn(
          { member: name, id: other.id, peerUrls: other.peerUrls },
          'removed a stale learner that never started',
        );
      continue;
    }
    if (other.isLearner) return notYet(`the learner ${other.name || other.peerUrls[0]} has been promoted`);
    const answers = await Promise.all(other.clientUrls.map((url) => checkEtcdHealth(url, tls)));
    if (!answers.includes(true)) return notYet(`member ${other.name || other.peerUrls[0]} is healthy`);
  }
  let entry = list.find((m) => m.peerUrls.includes(peerUrl));
  if (entry && !entry.isLearner) {
    const id = entry.id;
    if (!(await ask((url) => etcdMembershipChange(url, tls, { op: 'remove', id }))))
      return notYet('its old membership is removed');
    log.warn({ member: name, id }, 'etcd member lost its data: removed its old membership');
    options.afterJoinPhase?.(name, 'old-membership-removed');
    entry = undefined;
  }
  if (!entry) {
    if (!(await ask((url) => etcdMembershipChange(url, tls, { op: 'add-learner', peerUrl, morePeerUrls }))))
      return notYet('it is added as a learner');
    log.info({ member: name }, 'etcd member added as a learner');
    options.afterJoinPhase?.(name, 'learner-added');
  }
  list = await ask((url) => etcdMemberList(url, tls));
  if (!list) return notYet('the member list can be read');
  const cluster = list.flatMap((m) => {
    const memberName = m.name || (m.peerUrls.includes(peerUrl) ? name : '');
    return m.peerUrls.map((url) => `${memberName}=${url}`);
  });
  return { initialCluster: cluster.join(',') };
}

/**
 * Promotes every learner that has applied all the leader had committed when asked (etcd refuses
 * a lagging learner too, but it is checked first), through the cluster `via` reaches. Resolves
 * whether none is left lagging.
 */
export async function promoteCaughtUpLearners(
  via: readonly string[],
  learners: readonly { name: string; id: string }[],
  tls: EtcdTls | undefined,
  log: Logger,
  afterJoinPhase?: EtcdClusterOptions['afterJoinPhase'],
): Promise<boolean> {
  let allPromoted = true;
  for (const learner of learners) {
    const catchUp = await isCaughtUp(via, tls, learner.id).catch(() => undefined);
    let promoted = false;
    if (catchUp?.caughtUp) {
      for (const url of via) {
        if (await etcdMembershipChange(url, tls, { op: 'promote', id: learner.id })) {
          promoted = true;
          break;
        }
      }
    }
    if (promoted) {
      log.info({ member: learner.name, id: learner.id }, 'etcd learner caught up and promoted');
      afterJoinPhase?.(learner.name, 'promoted');
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

/** Every member as it runs now, without starting, restarting or re-joining any (a handed-over Etcd). */
export async function observeEtcdCluster(
  paths: EtcdPaths,
  etcd: Etcd,
  replicas: number,
  config: EtcdLaunchConfig,
): Promise<EtcdMemberObservation[]> {
  const names = etcdMemberNames(etcd, replicas);
  const states = await Promise.all(names.map((name) => readEtcdState(etcdMemberPaths(paths, name))));
  const known = names.flatMap((name, i) => (states[i] ? [{ name, state: states[i] }] : []));
  return observeMembers(
    known.map((k) => k.name),
    known.map((k) => k.state),
    config,
  );
}

/** Whether members `0 … i-1` are running voters (a joining Etcd adds its members in order). */
async function votersBefore(states: readonly EtcdState[], i: number, tls: EtcdTls | undefined): Promise<boolean> {
  const reports = await Promise.all(states.slice(0, i).map((s) => etcdMemberStatus(s.clientUrl, tls)));
  return reports.every((r) => r !== undefined && !r.isLearner && r.leaderId !== '0');
}

/** The client URLs of the members other than `except` whose process runs. */
function runningClientUrls(states: readonly EtcdState[], except: number): string[] {
  return states
    .filter((s, i) => i !== except && s.pid !== null && isEtcdProcessFor(s.pid, s.dataDir))
    .map((s) => s.clientUrl);
}

/**
 * Makes the member list name exactly `peerUrls` for member `id` (etcd's `member update`): a member
 * switched to peer TLS, or advertising `additionalAdvertisePeerURLs`, keeps the URLs of its first
 * start in the membership otherwise (etcd reads `--initial-advertise-peer-urls` only then).
 */
export async function ensureAdvertisedPeerUrls(
  clientUrl: string,
  tls: EtcdTls | undefined,
  id: string,
  peerUrls: readonly string[],
  log: Logger,
): Promise<void> {
  const entry = (await etcdMemberList(clientUrl, tls))?.find((m) => m.id === id);
  if (!entry || sameUrls(entry.peerUrls, peerUrls)) return;
  if (await etcdMembershipChange(clientUrl, tls, { op: 'update', id, peerUrls })) {
    log.info({ id, from: entry.peerUrls, to: peerUrls }, 'etcd member now advertises its peer URLs');
  }
}

function sameUrls(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
