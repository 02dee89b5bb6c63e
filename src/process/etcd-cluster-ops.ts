/**
 * The handover primitives of a live control plane migration (docs/live-migration.md, "The etcd
 * side"): what the destination's gardenlet does to the joint cluster once its members have
 * joined. Every change is checked before it is asked for (etcd would refuse some, not all), and
 * every function is idempotent: called again after a crash, it finds the change done and returns.
 *
 * Through etcd's JSON gateway (`/v3/...`), like the druid's own health checks, except HashKV,
 * which the gateway of etcd 3.4 does not route (gRPC there). `endpoints`
 * are client URLs of the cluster's members; the first that answers is asked. Members run with
 * `--strict-reconfig-check=false` (the druid passes it to every member with peer TLS): etcd's own
 * check refuses a removal for 5 s after a leader change, so the quorum check before a removal is
 * `removeMember`'s.
 */
import { Etcd3, type IHashKVResponse } from 'etcd3';
import {
  checkEtcdHealth,
  type EtcdMemberEntry,
  type EtcdMemberStatusReport,
  etcdGateway,
  etcdMemberList,
  etcdMemberStatus,
  etcdMembershipChangeResult,
} from './etcd-gateway.js';
import type { EtcdTls } from './etcd-process.js';

/** A primitive refused to act (the check before the change failed) or etcd refused the change. */
export class EtcdClusterOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdClusterOpError';
  }
}

/** The cluster's members as the first answering endpoint knows them. */
export async function memberList(endpoints: readonly string[], tls: EtcdTls | undefined): Promise<EtcdMemberEntry[]> {
  for (const endpoint of endpoints) {
    const list = await etcdMemberList(endpoint, tls);
    if (list) return list;
  }
  throw new EtcdClusterOpError(`no etcd member answered the member list at ${endpoints.join(', ')}`);
}

/** The leader and what it says of itself, found through the members' own reports. */
export async function leaderStatus(
  members: readonly EtcdMemberEntry[],
  tls: EtcdTls | undefined,
): Promise<{ leader: EtcdMemberEntry; status: EtcdMemberStatusReport }> {
  for (const member of members) {
    for (const url of member.clientUrls) {
      const report = await etcdMemberStatus(url, tls);
      if (!report || report.leaderId === '0') continue;
      const leader = members.find((m) => m.id === report.leaderId);
      if (!leader) continue;
      const status = report.memberId === leader.id ? report : await statusOf(leader, tls);
      if (status) return { leader, status };
    }
  }
  throw new EtcdClusterOpError('the etcd cluster has no leader that answers');
}

/** How far a member is behind the leader. */
export interface CatchUp {
  caughtUp: boolean;
  /** The index the member has applied. */
  applied: number;
  /** The index the leader had committed just before. */
  committed: number;
}

/**
 * Whether `member` has applied everything the leader had committed when asked (the leader is
 * asked first, so the member's applied index is compared with an index at least as old).
 */
export async function isCaughtUp(
  endpoints: readonly string[],
  tls: EtcdTls | undefined,
  memberId: string,
): Promise<CatchUp> {
  const members = await memberList(endpoints, tls);
  const member = members.find((m) => m.id === memberId);
  if (!member) throw new EtcdClusterOpError(`etcd member ${memberId} is not a member of the cluster`);
  const { status: leader } = await leaderStatus(members, tls);
  const own = await statusOf(member, tls);
  if (!own) throw new EtcdClusterOpError(`etcd member ${memberName(member)} does not answer at ${member.clientUrls}`);
  return {
    caughtUp: own.raftAppliedIndex >= leader.raftIndex,
    applied: own.raftAppliedIndex,
    committed: leader.raftIndex,
  };
}

/** How long `moveLeader` waits for its target to catch up before it refuses. */
const CATCH_UP_WAIT_MS = 2_000;
const CATCH_UP_POLL_MS = 50;

/**
 * Whether `memberId` catches up within `waitMs`: under a steady write load a healthy voter is an
 * entry or two behind at any one instant, so one look would refuse it more often than not.
 */
async function catchesUp(
  endpoints: readonly string[],
  tls: EtcdTls | undefined,
  memberId: string,
  waitMs: number,
): Promise<CatchUp> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const catchUp = await isCaughtUp(endpoints, tls, memberId);
    if (catchUp.caughtUp || Date.now() >= deadline) return catchUp;
    await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
  }
}

/**
 * Moves the leadership to `toId` (etcd's MoveLeader, sent to the current leader), only to a
 * voter that is caught up (waited for up to `CATCH_UP_WAIT_MS`). Resolves once `toId` leads; at
 * once when it already does.
 */
export async function moveLeader(endpoints: readonly string[], tls: EtcdTls | undefined, toId: string): Promise<void> {
  const members = await memberList(endpoints, tls);
  const target = members.find((m) => m.id === toId);
  if (!target) throw new EtcdClusterOpError(`cannot move the leadership to ${toId}: not a member of the cluster`);
  if (target.isLearner)
    throw new EtcdClusterOpError(`cannot move the leadership to ${memberName(target)}: it is a learner`);
  const { leader } = await leaderStatus(members, tls);
  if (leader.id === toId) return;
  const catchUp = await catchesUp(endpoints, tls, toId, CATCH_UP_WAIT_MS);
  if (!catchUp.caughtUp) {
    throw new EtcdClusterOpError(
      `cannot move the leadership to ${memberName(target)}: it has applied index ${catchUp.applied}, the leader committed ${catchUp.committed}`,
    );
  }
  const answer = await firstAnswer(leader.clientUrls, (url) =>
    etcdGateway(url, '/v3/maintenance/transfer-leadership', tls, { targetID: toId }),
  );
  if (!answer.ok) {
    throw new EtcdClusterOpError(`moving the leadership to ${memberName(target)} failed: ${answer.message}`);
  }
  // MoveLeader answers once the target leads; confirm from the target's own view.
  const now = await statusOf(target, tls);
  if (now?.leaderId !== toId) {
    throw new EtcdClusterOpError(
      `moved the leadership to ${memberName(target)} but it reports leader ${now?.leaderId}`,
    );
  }
}

/**
 * Removes member `id` from the cluster, only when the voters that remain are a healthy quorum
 * of the configuration without it, and never the leader (move the leadership first). Asked of a
 * remaining voter. Resolves at once when `id` is no longer a member. The removed member's
 * process exits by itself once it learns of its removal; whoever runs it stops it afterwards,
 * never before (with two voters, stopping one first would lose the quorum). `holdReads` keeps
 * the cluster's readers back while a removal leaves a single voter (src/storage/etcd/read-gate.ts:
 * a read under way then would wait 500 ms).
 */
export async function removeMember(
  endpoints: readonly string[],
  tls: EtcdTls | undefined,
  id: string,
  options: { holdReads?: () => Promise<() => void> } = {},
): Promise<void> {
  const members = await memberList(endpoints, tls);
  const target = members.find((m) => m.id === id);
  if (!target) return;
  const { leader } = await leaderStatus(members, tls);
  if (leader.id === id) {
    throw new EtcdClusterOpError(
      `cannot remove ${memberName(target)}: it leads the cluster; move the leadership first`,
    );
  }
  const remaining = members.filter((m) => m.id !== id && !m.isLearner);
  const healthy = await Promise.all(
    remaining.map(async (m) => (await Promise.all(m.clientUrls.map((u) => checkEtcdHealth(u, tls)))).some(Boolean)),
  );
  const healthyCount = healthy.filter(Boolean).length;
  const quorum = Math.floor(remaining.length / 2) + 1;
  if (remaining.length === 0 || healthyCount < quorum) {
    const unhealthy = remaining.filter((_, i) => !healthy[i]).map(memberName);
    throw new EtcdClusterOpError(
      `cannot remove ${memberName(target)}: ${healthyCount} of the ${remaining.length} remaining voters are healthy, ` +
        `a quorum needs ${quorum}${unhealthy.length ? ` (unhealthy: ${unhealthy.join(', ')})` : ''}`,
    );
  }
  const via = remaining.filter((_, i) => healthy[i]).flatMap((m) => m.clientUrls);
  const release = remaining.length === 1 ? await options.holdReads?.() : undefined;
  const answer = await firstAnswer(via, (url) => etcdMembershipChangeResult(url, tls, { op: 'remove', id })).finally(
    () => release?.(),
  );
  if (!answer.ok) {
    // Removed meanwhile (a retry after a lost answer): done.
    const after = await memberList(via, tls);
    if (after.some((m) => m.id === id)) {
      throw new EtcdClusterOpError(`removing ${memberName(target)} failed: ${answer.message}`);
    }
  }
}

/** etcd's hash of the key space at a revision (`HashKV`) as one member computes it. */
export interface KeySpaceHash {
  endpoint: string;
  revision: number;
  hash: number;
  /** The compaction revision the member had; the hash covers revisions above it. */
  compactRevision: number;
}

interface HashKvCallable {
  exec<T>(service: 'Maintenance', method: 'hashKv', params: { revision: string }): Promise<T>;
}

/** How long a HashKV may take (it reads the whole key space of the member). */
const HASH_TIMEOUT_MS = 60_000;

/**
 * The member at `endpoint`'s `HashKV` at `revision`. Over gRPC: etcd 3.4's JSON gateway has no
 * route for HashKV. One client per call, closed after it: nothing of the library's retry state
 * outlives the answer.
 */
export async function hashKV(endpoint: string, tls: EtcdTls | undefined, revision: number): Promise<KeySpaceHash> {
  const client = tls?.client ?? tls;
  const etcd = new Etcd3({
    hosts: [endpoint],
    ...(tls && client
      ? {
          credentials: {
            rootCertificate: Buffer.from(tls.caPem),
            certChain: Buffer.from(client.certPem),
            privateKey: Buffer.from(client.keyPem),
          },
        }
      : {}),
    defaultCallOptions: () => ({ deadline: Date.now() + HASH_TIMEOUT_MS }),
  });
  try {
    // etcd3 1.1.2's `maintenance.hashKV` asks grpc-js for a method `hashKV`, which grpc-js names
    // `hashKv` (so the library's own call fails with "client[method] is not a function").
    const { client: pool } = etcd.maintenance as unknown as { client: HashKvCallable };
    const answer = await pool.exec<IHashKVResponse>('Maintenance', 'hashKv', { revision: String(revision) });
    return {
      endpoint,
      revision,
      hash: Number(answer.hash),
      compactRevision: Number(answer.compact_revision),
    };
  } catch (err) {
    const message = (err as Error).message;
    if (/compacted/.test(message)) throw new EtcdClusterOpError(`revision ${revision} is compacted at ${endpoint}`);
    throw new EtcdClusterOpError(`HashKV at revision ${revision} failed at ${endpoint}: ${message}`);
  } finally {
    etcd.close();
  }
}

/** How often `compareKeySpace` picks a fresh revision when a compaction overtook the one it chose. */
const COMPARE_ATTEMPTS = 3;

/**
 * Compares the key spaces of two members of one cluster at one revision: the lower of their
 * current revisions (both have applied it), which is above the compaction. Resolves with the
 * equal hash; rejects naming both hashes when they differ.
 */
export async function compareKeySpace(
  sourceEndpoint: string,
  destinationEndpoint: string,
  tls: EtcdTls | undefined,
): Promise<{ revision: number; hash: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= COMPARE_ATTEMPTS; attempt++) {
    const [source, destination] = await Promise.all([
      etcdMemberStatus(sourceEndpoint, tls),
      etcdMemberStatus(destinationEndpoint, tls),
    ]);
    if (!source || !destination) {
      throw new EtcdClusterOpError(
        `cannot compare key spaces: ${source ? destinationEndpoint : sourceEndpoint} does not answer`,
      );
    }
    const revision = Math.min(source.revision, destination.revision);
    try {
      const [a, b] = await Promise.all([
        hashKV(sourceEndpoint, tls, revision),
        hashKV(destinationEndpoint, tls, revision),
      ]);
      if (a.compactRevision >= revision || b.compactRevision >= revision) {
        lastError = new EtcdClusterOpError(`revision ${revision} is compacted`);
        continue;
      }
      if (a.hash !== b.hash) {
        throw new EtcdClusterOpError(
          `key spaces differ at revision ${revision}: ${sourceEndpoint} hashes ${a.hash}, ${destinationEndpoint} hashes ${b.hash}`,
        );
      }
      return { revision, hash: a.hash };
    } catch (err) {
      if (err instanceof EtcdClusterOpError && /compacted/.test(err.message)) {
        lastError = err;
        continue;
      }
      throw err;
    }
  }
  throw new EtcdClusterOpError(`cannot compare key spaces: ${(lastError as Error).message}`);
}

/**
 * The member at `endpoint`'s HashKV at its current revision (the member has applied it, the
 * cluster's other members have or will), picked afresh when a compaction overtakes it.
 */
export async function hashAtCurrentRevision(
  endpoint: string,
  tls: EtcdTls | undefined,
): Promise<{ revision: number; hash: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= COMPARE_ATTEMPTS; attempt++) {
    const status = await etcdMemberStatus(endpoint, tls);
    if (!status) throw new EtcdClusterOpError(`cannot hash the key space: ${endpoint} does not answer`);
    try {
      const { hash, compactRevision } = await hashKV(endpoint, tls, status.revision);
      if (compactRevision < status.revision) return { revision: status.revision, hash };
      lastError = new EtcdClusterOpError(`revision ${status.revision} is compacted at ${endpoint}`);
    } catch (err) {
      if (!(err instanceof EtcdClusterOpError && /compacted/.test(err.message))) throw err;
      lastError = err;
    }
  }
  throw new EtcdClusterOpError(`cannot hash the key space: ${(lastError as Error).message}`);
}

/** Why `checkKeySpace` could not tell: the revision it was to hash at is compacted there. */
export class RevisionCompactedError extends EtcdClusterOpError {}

/**
 * Checks the member at `endpoint` against a hash another member of the cluster gave at
 * `expected.revision`. Rejects naming both hashes when they differ, and with a
 * `RevisionCompactedError` when that revision is compacted at `endpoint` (compare afresh).
 */
export async function checkKeySpace(
  endpoint: string,
  tls: EtcdTls | undefined,
  expected: { revision: number; hash: number; endpoint: string },
): Promise<void> {
  let answer: KeySpaceHash;
  try {
    answer = await hashKV(endpoint, tls, expected.revision);
  } catch (err) {
    if (err instanceof EtcdClusterOpError && /compacted/.test(err.message))
      throw new RevisionCompactedError(err.message);
    throw err;
  }
  if (answer.compactRevision >= expected.revision) {
    throw new RevisionCompactedError(`revision ${expected.revision} is compacted at ${endpoint}`);
  }
  if (answer.hash !== expected.hash) {
    throw new EtcdClusterOpError(
      `key spaces differ at revision ${expected.revision}: ${endpoint} hashes ${answer.hash}, ${expected.endpoint} hashed ${expected.hash}`,
    );
  }
}

function statusOf(member: EtcdMemberEntry, tls: EtcdTls | undefined): Promise<EtcdMemberStatusReport | undefined> {
  return firstDefined(member.clientUrls, (url) => etcdMemberStatus(url, tls));
}

function memberName(member: EtcdMemberEntry): string {
  return member.name ? `${member.name} (${member.id})` : member.id;
}

async function firstDefined<T>(urls: readonly string[], ask: (url: string) => Promise<T | undefined>) {
  for (const url of urls) {
    const answer = await ask(url);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

/** The first successful answer of `urls`, else the last failure. */
async function firstAnswer<T extends { ok: boolean }>(urls: readonly string[], ask: (url: string) => Promise<T>) {
  let last: T | undefined;
  for (const url of urls) {
    last = await ask(url);
    if (last.ok) return last;
  }
  return last ?? ({ ok: false, message: 'no client URL to ask' } as unknown as T);
}
