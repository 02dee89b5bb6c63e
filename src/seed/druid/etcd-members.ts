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
 * An Etcd with `spec.etcd.bootstrapWithExistingCluster` (GEP-39's live migration) never
 * bootstraps: its members join the source cluster one at a time, the same way a member that lost
 * its data re-joins (`joinAsLearner`, then `promoteCaughtUpLearners`), through the source's client
 * endpoints until members of its own are voters. A single-member Etcd joins through the same two
 * functions (etcd-controller.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Etcd, etcdMemberNameAt } from '../../api/druid/etcd.js';
import { nowTimestamp } from '../../api/meta.js';
import { isCaughtUp } from '../../process/etcd-cluster-ops.js';
import {
  checkEtcdHealth,
  type EtcdTls,
  etcdMemberList,
  etcdMemberStatus,
  etcdMembershipChange,
  freePort,
  startEtcd,
} from '../../process/etcd-process.js';
import { type EtcdLaunchConfig, type EtcdPeerConfig, etcdAdvertisedPeerUrls } from './etcd-config.js';
import { isEtcdProcessFor, stopEtcdAt } from './etcd-processes.js';
import { type EtcdPaths, type EtcdState, etcdPaths, readEtcdState, writeEtcdState } from './etcd-state.js';

const BOOTSTRAPPED_MARKER = 'cluster-bootstrapped';

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
}

/** The member names of an Etcd of `replicas` members: `[<prefix>-]<name>-0` … as etcd-druid's pods. */
export function etcdMemberNames(etcd: Pick<Etcd, 'metadata' | 'spec'>, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => etcdMemberNameAt(etcd, i));
}

/** The files of one member, below its Etcd's directory. */
export function etcdMemberPaths(paths: EtcdPaths, memberName: string): EtcdPaths {
  return etcdPaths(paths.dir, 'members', memberName);
}

/** Brings every member to running and says how each is doing. */
export async function convergeEtcdCluster(options: EtcdClusterOptions): Promise<EtcdClusterObservation> {
  const { paths, etcd, replicas, logger: log } = options;
  const { config } = options;
  const names = etcdMemberNames(etcd, replicas);
  const states = await ensureMemberStates(paths, names, config);
  const advertised = names.map((name, i) => etcdAdvertisedPeerUrls(etcd, name, config.peer.host, states[i]!.peerPort));
  const initialCluster = names.flatMap((name, i) => advertised[i]!.map((url) => `${name}=${url}`)).join(',');
  const configHash = createHash('sha256')
    .update(JSON.stringify([config.configHash, initialCluster]))
    .digest('hex');
  const bootstrapped = await exists(join(paths.dir, BOOTSTRAPPED_MARKER));
  const source = etcd.spec.etcd.bootstrapWithExistingCluster;

  const problems: string[] = [];
  const toStart: number[] = [];
  /** Members (re-)joining as learners, with the `--initial-cluster` of the running cluster. */
  const joining = new Map<number, string>();
  for (const [i, name] of names.entries()) {
    const state = states[i]!;
    const alive = state.pid !== null && isEtcdProcessFor(state.pid, state.dataDir);
    if (alive && state.configHash === configHash) continue;
    const hasData = await exists(join(state.dataDir, 'member'));
    if (alive) {
      // A changed configuration rolls one member at a time, and only while all others are healthy.
      if (toStart.length > 0 || !(await othersHealthy(states, i, config))) continue;
      log.info({ member: name, pid: state.pid }, 'etcd member configuration changed; restarting it');
    } else if (source && !bootstrapped && !hasData) {
      // Joining the source cluster: one member at a time, each once the ones before it are voters.
      if (joining.size > 0 || toStart.length > 0 || !(await votersBefore(states, i, config.tls))) continue;
      const join = await joinAsLearner({
        via: [...healthyClientUrls(states, i), ...source.clientEndpoints],
        tls: config.tls,
        name,
        peerUrls: advertised[i]!,
        log,
      });
      if (typeof join === 'string') {
        problems.push(join);
        continue;
      }
      joining.set(i, join.initialCluster);
    } else if (bootstrapped && !hasData) {
      const rejoin = await prepareRejoin(options, states, i, advertised[i]!, log);
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
        log.info({ member: name, pid: states[i]!.pid }, 'etcd member started');
      } catch (err) {
        const message = (err as Error).message.split('\n')[0] ?? String(err);
        problems.push(`member ${name} could not be started: ${message}`);
      }
    }),
  );

  let members = await observeMembers(names, states, config);
  if (members.some((m) => m.learner)) {
    const via = [...members.filter((m) => m.healthy).map((m) => m.state.clientUrl), ...(source?.clientEndpoints ?? [])];
    const learners = members.filter((m) => m.learner && m.id).map((m) => ({ name: m.name, id: m.id! }));
    if (await promoteCaughtUpLearners(via, learners, config.tls, log)) {
      members = await observeMembers(names, states, config);
    } else {
      problems.push(`a ${source && !bootstrapped ? '' : 're-'}joining member has not caught up with the leader yet`);
    }
  }
  if (!bootstrapped && members.every((m) => m.healthy)) {
    await writeFile(join(paths.dir, BOOTSTRAPPED_MARKER), `${nowTimestamp()}\n`, { mode: 0o600 });
  }
  for (const [i, member] of members.entries()) {
    if (member.healthy && member.id)
      await ensureAdvertisedPeerUrls(member.state.clientUrl, config.tls, member.id, advertised[i]!, log);
  }
  return { members, problems };
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
function healthyClientUrls(states: readonly EtcdState[], except: number): string[] {
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
    clientPort: state.clientPort,
    peerPort: state.peerPort,
    tls: config.tls,
    peer: {
      host: config.peer.host,
      initialCluster,
      clusterToken: `${options.etcd.metadata.namespace}/${options.etcd.metadata.name}`,
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
 * Makes room for member `i`, whose data is gone, to re-join as a learner (etcd-druid's way): its
 * old membership removed, a learner at its peer URLs added. Only while every other member is
 * healthy, so the quorum never depends on it. Returns the `--initial-cluster` to start it with,
 * or why not now.
 */
async function prepareRejoin(
  options: EtcdClusterOptions,
  states: readonly EtcdState[],
  i: number,
  peerUrls: readonly string[],
  log: Logger,
): Promise<{ initialCluster: string } | string> {
  const name = etcdMemberNames(options.etcd, states.length)[i]!;
  if (!(await othersHealthy(states, i, options.config))) {
    return `member ${name} has lost its data and re-joins once the other members are healthy`;
  }
  const via = states.filter((_, j) => j !== i).map((s) => s.clientUrl);
  return joinAsLearner({ via, tls: options.config.tls, name, peerUrls, log });
}

export interface JoinAsLearnerOptions {
  /** Client URLs of running members of the cluster to join; the first that answers is asked. */
  via: readonly string[];
  tls: EtcdTls | undefined;
  /** The joining member's name. */
  name: string;
  /** The peer URLs it advertises (its listener's first). */
  peerUrls: readonly string[];
  log: Logger;
}

/**
 * Adds a member without data as a learner of the running cluster `via` reaches: an old voter
 * membership at the same peer URL (a member that lost its data) removed first, then a learner
 * added unless one is there. Each step is found again from the member list, so a crash between
 * them resumes. Returns the `--initial-cluster` to start it with (`--initial-cluster-state
 * existing`), or why not now. Never creates a cluster: without an answer from `via`, nothing starts.
 */
export async function joinAsLearner(options: JoinAsLearnerOptions): Promise<{ initialCluster: string } | string> {
  const { via, tls, name, peerUrls, log } = options;
  const notYet = (why: string) => `member ${name} joins the running cluster once ${why}`;
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
  let entry = list.find((m) => m.peerUrls.includes(peerUrl));
  if (entry && !entry.isLearner) {
    if (!(await ask((url) => etcdMembershipChange(url, tls, { op: 'remove', id: entry!.id }))))
      return notYet('its old membership is removed');
    log.warn({ member: name, id: entry.id }, 'etcd member lost its data: removed its old membership');
    entry = undefined;
  }
  if (!entry) {
    if (!(await ask((url) => etcdMembershipChange(url, tls, { op: 'add-learner', peerUrl, morePeerUrls }))))
      return notYet('it is added as a learner');
    log.info({ member: name }, 'etcd member added as a learner');
    list = await ask((url) => etcdMemberList(url, tls));
    if (!list) return notYet('the member list can be read');
  }
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
    if (promoted) log.info({ member: learner.name, id: learner.id }, 'etcd learner caught up and promoted');
    else allPromoted = false;
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

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
