/**
 * The etcd side of a live migration (docs/live-migration.md "The etcd side"): the source
 * publishes its members; the destination's Etcd joins them (the druid's
 * `bootstrapWithExistingCluster`: learners, caught up, promoted one at a time), the data is
 * compared at one revision, the leadership moves to a destination member, and the source members
 * leave one at a time. Each method writes its phase into the record before it acts; the etcd
 * operations (src/process/etcd-cluster-ops.ts) check before each change and find a change already
 * made, so a re-run after a crash goes on where it stopped.
 */
import { getCondition } from '../../../api/core-gardener/conditions.js';
import type { LiveEtcdMember, LiveMigrationRecord } from '../../../api/core-gardener/live-migration.js';
import {
  ETCD_HANDED_OVER_ANNOTATION,
  EtcdConditionType,
  type EtcdSpec,
  etcdResource,
} from '../../../api/druid/etcd.js';
import { nowTimestamp } from '../../../api/meta.js';
import { terminal } from '../../../flow/task-errors.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import {
  checkKeySpace,
  compareKeySpace,
  EtcdClusterOpError,
  hashAtCurrentRevision,
  leaderStatus,
  memberList,
  moveLeader,
  RevisionCompactedError,
  removeMember,
} from '../../../process/etcd-cluster-ops.js';
import { type EtcdMemberEntry, etcdMemberStatus } from '../../../process/etcd-gateway.js';
import type { EtcdTls } from '../../../process/etcd-process.js';
import { shootLabels } from '../shoot-labels.js';
import type { ComponentContext } from './context.js';
import { ETCD_MAIN, type EtcdMain } from './etcd.js';
import type { KubeApiServer } from './kube-apiserver.js';
import type { LiveMigrationProgress } from './live-migration.js';
import { ETCD_PEER_SERVER_SECRET, type SecretsManager } from './secrets.js';
import { NotYetError, waitUntil } from './wait.js';

export class LiveEtcd {
  readonly #c: ComponentContext;
  readonly #progress: LiveMigrationProgress;
  readonly #etcdMain: EtcdMain;
  readonly #secrets: SecretsManager;
  readonly #kubeApiServer: KubeApiServer;

  constructor(
    c: ComponentContext,
    deps: {
      progress: LiveMigrationProgress;
      etcdMain: EtcdMain;
      secrets: SecretsManager;
      kubeApiServer: KubeApiServer;
    },
  ) {
    this.#c = c;
    this.#progress = deps.progress;
    this.#etcdMain = deps.etcdMain;
    this.#secrets = deps.secrets;
    this.#kubeApiServer = deps.kubeApiServer;
  }

  /**
   * Source: "Publishing etcd members for the destination seed". The members of etcd-main (name,
   * ID, peer and client URLs) go into a new record at `Preparing`; a record of this migration
   * already under way is kept (a re-run), one of an earlier migration is replaced.
   */
  async publishMembers(_ctx: TaskContext): Promise<void> {
    // A re-run after a crash: the members may have left the cluster by now (etcd is not asked).
    if (this.#underWay(await this.#progress.get())) return;
    const endpoint = (await this.#etcdMain.get())?.status?.endpoint;
    if (!endpoint) throw new Error(`${ETCD_MAIN} in ${this.#c.namespace} reports no client URL`);
    const members = (await memberList([endpoint], await this.#tls())).map(toLiveMember);
    const { source, destination } = this.#progress.seeds;
    await this.#progress.update((current) => {
      if (this.#underWay(current)) return current;
      return {
        sourceSeed: source,
        destinationSeed: destination,
        phase: 'Preparing',
        phaseTime: nowTimestamp(),
        source: { etcd: { [ETCD_MAIN]: members } },
      } satisfies LiveMigrationRecord;
    });
  }

  /**
   * Destination: "Deploying etcd members into the source cluster". `JoiningMembers` first, then
   * etcd-main (the shoot's members: 1, or 3 when highly available) with `bootstrapWithExistingCluster` (the source's members from the record), member
   * names prefixed with this seed's name, peer TLS from `ca-etcd` (the same CA on both seeds), and
   * no backups yet: the source backs the cluster up until its members leave.
   */
  async join(_ctx: TaskContext): Promise<void> {
    const record = await this.#progress.advance('JoiningMembers');
    if (await this.#etcdMain.get()) return;
    const sourceMembers = record.source.etcd[ETCD_MAIN] ?? [];
    if (sourceMembers.length === 0) throw terminal(new Error(`the record names no ${ETCD_MAIN} member of the source`));
    const ca = { name: 'ca-etcd', dataKey: 'ca.crt' };
    const spec: EtcdSpec = {
      // As many members as the source runs (3 for a highly available shoot): the druid joins them
      // one at a time, so the voters go 3 → 4 → 5 → 6 and a quorum of running members always exists.
      replicas: this.#etcdMain.runningReplicas,
      memberNamePrefix: this.#c.seedName,
      labels: { role: 'main', 'gardener.cloud/role': 'controlplane' },
      selector: { matchLabels: { role: 'main' } },
      etcd: {
        clientUrlTls: {
          tlsCASecretRef: ca,
          serverTLSSecretRef: { name: 'etcd-server-tls' },
          clientTLSSecretRef: { name: 'etcd-client-tls' },
        },
        // The peer certificate etcd-main's every deploy names (Etcd.deploy): another one here would
        // change the member's configuration once the flow deploys etcd-main as usual, and the
        // druid would restart the cluster's only member right after the migration.
        peerUrlTls: { tlsCASecretRef: ca, serverTLSSecretRef: { name: ETCD_PEER_SERVER_SECRET } },
        bootstrapWithExistingCluster: {
          members: sourceMembers.map((m) => ({ name: m.name, peerUrls: m.peerURLs })),
          clientEndpoints: sourceMembers.flatMap((m) => m.clientURLs),
        },
      },
      backup: {},
    };
    await this.#etcds().create(this.#c.namespace, {
      metadata: { name: ETCD_MAIN, labels: shootLabels(this.#c.shoot) },
      spec,
    });
  }

  /**
   * Destination: "Waiting until etcd members have joined the source cluster": the druid's
   * `BootstrappedWithExistingCluster` is True (every member a caught-up voter). Then
   * `MembersJoined`, with this seed's members.
   */
  async waitJoined(ctx: TaskContext): Promise<void> {
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const etcd = await this.#etcdMain.get();
      const condition = getCondition(etcd?.status?.conditions ?? [], EtcdConditionType.BootstrappedWithExistingCluster);
      if (condition?.status !== 'True') {
        throw new NotYetError(
          `${ETCD_MAIN} has not joined the source cluster yet (${EtcdConditionType.BootstrappedWithExistingCluster}: ${condition?.status ?? 'not reported'}${condition?.message ? `, ${condition.message}` : ''})`,
        );
      }
    });
    const mine = (await this.#members()).filter((m) => this.#isMine(m) && !m.isLearner).map(toLiveMember);
    await this.#progress.advance('MembersJoined', { destination: { etcd: { [ETCD_MAIN]: mine } } });
  }

  /**
   * Destination: "Hashing this seed's etcd data at one revision", before the switch: etcd's
   * `HashKV` of a destination member at its current revision, into the record with
   * `DestinationHashed`. Hashing holds the member's read lock for the whole key space (etcd 3.4),
   * which stalls every request served through that member, so each side is hashed while no
   * client is served through it: this seed's member now, the source's after it released.
   */
  async hashOwnData(ctx: TaskContext): Promise<void> {
    if (await this.#progress.reached('DestinationHashed')) return;
    const [endpoint = ''] = await this.#etcdMain.clientUrls(ctx);
    const verification = await hashAtCurrentRevision(endpoint, await this.#tls());
    await this.#progress.advance('DestinationHashed', { verification });
  }

  /**
   * This seed's etcd-main's current revision, asked of its own member: after a live migration
   * the anchor a full snapshot in this seed's bucket must reach before the source bucket's
   * backups are deleted (`SourceBackupEntry.deployAfterLiveMigration`).
   */
  async currentRevision(ctx: TaskContext): Promise<number> {
    const urls = await this.#etcdMain.clientUrls(ctx);
    const tls = await this.#tls();
    for (const url of urls) {
      const status = await etcdMemberStatus(url, tls);
      if (status) return status.revision;
    }
    throw new EtcdClusterOpError(`no member of ${ETCD_MAIN} in ${this.#c.namespace} answered at ${urls.join(', ')}`);
  }

  /**
   * Destination: "Verifying etcd data against the source cluster", once the source released the
   * control plane and before any of its members is removed: a source member's `HashKV` at the
   * recorded revision equals this seed's; then `Verified`. Where a compaction overtook that
   * revision, both sides are hashed afresh (this seed's member then serves the clients: a stall
   * of one hash, only then). A mismatch stops the migration with both members' data kept, and the
   * record's `message` says so.
   */
  async verify(ctx: TaskContext): Promise<void> {
    if (await this.#progress.reached('Verified')) return;
    const record = await this.#record();
    const sourceEndpoint = firstClientUrl(record.source.etcd[ETCD_MAIN] ?? []);
    const [destinationEndpoint = ''] = await this.#etcdMain.clientUrls(ctx);
    const tls = await this.#tls();
    let verification = record.verification;
    try {
      if (!verification) throw new RevisionCompactedError('no hash of this seed is recorded');
      await checkKeySpace(sourceEndpoint, tls, { ...verification, endpoint: destinationEndpoint });
    } catch (err) {
      if (err instanceof RevisionCompactedError) {
        verification = await this.#compareAfresh(sourceEndpoint, destinationEndpoint, tls);
      } else {
        await this.#stopOnMismatch(err);
        throw err;
      }
    }
    await this.#progress.advance('Verified', { verification });
  }

  async #compareAfresh(sourceEndpoint: string, destinationEndpoint: string, tls: EtcdTls) {
    try {
      return await compareKeySpace(sourceEndpoint, destinationEndpoint, tls);
    } catch (err) {
      await this.#stopOnMismatch(err);
      throw err;
    }
  }

  /** A mismatch of the key spaces is final: the record's `message` says so, the step stops. */
  async #stopOnMismatch(err: unknown): Promise<void> {
    if (!(err instanceof EtcdClusterOpError) || !/differ/.test(err.message)) return;
    await this.#progress.update((current) => (current ? { ...current, message: err.message } : current));
    throw terminal(err);
  }

  /**
   * Destination: "Moving etcd leadership to this seed": to a voter of this seed, only once it has
   * applied what the leader had committed (asked until it has); then `LeaderMoved`.
   */
  async moveLeader(ctx: TaskContext): Promise<void> {
    if (await this.#progress.reached('LeaderMoved')) return;
    const tls = await this.#tls();
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const members = await this.#members();
      const target = members.find((m) => this.#isMine(m) && !m.isLearner);
      if (!target) throw new NotYetError(`no member of seed ${this.#c.seedName} is a voter`);
      try {
        await moveLeader(this.#endpoints(members), tls, target.id);
      } catch (err) {
        if (err instanceof EtcdClusterOpError) throw new NotYetError(err.message);
        throw err;
      }
    });
    await this.#progress.advance('LeaderMoved');
  }

  /**
   * Source: "Handing etcd over to the destination seed": etcd-main is annotated handed-over (the
   * druid no longer restarts, re-joins or backs up its members), then `SourceReleased`.
   */
  async handOver(_ctx: TaskContext): Promise<void> {
    await this.#annotateHandedOver();
    await this.#progress.advance('SourceReleased');
  }

  /**
   * Destination: "Removing the source seed's etcd members". `RemovingSourceMembers`, then one
   * member at a time, each only while the voters that remain are a healthy quorum and never the
   * leader; then `SourceMembersRemoved`. The shoot's API server (this seed's) holds its reads
   * while a removal leaves one voter (read-gate.ts).
   */
  async removeSourceMembers(ctx: TaskContext): Promise<void> {
    const record = await this.#progress.advance('RemovingSourceMembers');
    if (record.phase !== 'RemovingSourceMembers') return;
    const tls = await this.#tls();
    const endpoints = await this.#etcdMain.clientUrls(ctx);
    const sourceIds = new Set((record.source.etcd[ETCD_MAIN] ?? []).map((m) => m.id));
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const members = await memberList(endpoints, tls);
      const next = members.find((m) => sourceIds.has(m.id));
      if (!next) return;
      try {
        await keepLeadershipOn(endpoints, tls, members, (m) => !sourceIds.has(m.id));
        await removeMember(endpoints, tls, next.id, { holdReads: () => this.#holdApiServerReads() });
      } catch (err) {
        if (err instanceof EtcdClusterOpError) throw new NotYetError(err.message);
        throw err;
      }
      this.#c.logger.info({ shoot: this.#c.namespace, member: next.name }, 'source etcd member removed');
      throw new NotYetError('removing the next source member');
    });
    await this.#progress.advance('SourceMembersRemoved');
  }

  /** The shoot API server's etcd reads held (read-gate.ts); the release logs how long they were. */
  async #holdApiServerReads(): Promise<() => void> {
    const started = performance.now();
    const release = await this.#kubeApiServer.holdEtcdReads();
    const drainedMs = performance.now() - started;
    return () => {
      release();
      const heldMs = Math.round(performance.now() - started);
      this.#c.logger.info(
        { shoot: this.#c.namespace, heldMs, drainedMs: Math.round(drainedMs) },
        'etcd reads of the shoot API server held while the cluster shrank to one voter',
      );
    };
  }

  /**
   * Abort, destination: "Removing this seed's etcd members from the source cluster". etcd-main is
   * handed over first (the druid must not re-join a removed member), then each of its members,
   * learner or voter, is removed through a source member: the source cluster is as it was.
   */
  async leave(ctx: TaskContext): Promise<void> {
    if (!(await this.#etcdMain.get())) return;
    await this.#annotateHandedOver();
    const record = await this.#record();
    const tls = await this.#tls();
    const sourceEndpoints = (record.source.etcd[ETCD_MAIN] ?? []).flatMap((m) => m.clientURLs);
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const members = await memberList(sourceEndpoints, tls);
      const mine = members.find((m) => this.#isMine(m));
      if (!mine) return;
      try {
        await keepLeadershipOn(sourceEndpoints, tls, members, (m) => !this.#isMine(m));
        await removeMember(sourceEndpoints, tls, mine.id);
      } catch (err) {
        if (err instanceof EtcdClusterOpError) throw new NotYetError(err.message);
        throw err;
      }
      throw new NotYetError(`removing member ${mine.name || mine.id} of seed ${this.#c.seedName}`);
    });
  }

  /**
   * Whether `record` is of the migration under way (kept as it is) rather than of an earlier one
   * between the same seeds (replaced): not aborted, and not completed before this migration's
   * binding (`status.migrationStartTime`) — the destination may complete while this seed restarts.
   */
  #underWay(record: LiveMigrationRecord | undefined): boolean {
    if (!record || record.phase === 'Aborted') return false;
    if (record.phase !== 'Completed') return true;
    const started = Date.parse(this.#c.shoot.status?.migrationStartTime ?? '');
    return !Number.isNaN(started) && Date.parse(record.phaseTime) >= started;
  }

  async #annotateHandedOver(): Promise<void> {
    const etcd = await this.#etcdMain.get();
    if (!etcd || etcd.metadata.annotations?.[ETCD_HANDED_OVER_ANNOTATION] === 'true') return;
    await this.#etcds().patch(this.#c.namespace, ETCD_MAIN, {
      metadata: { annotations: { [ETCD_HANDED_OVER_ANNOTATION]: 'true' } },
    });
  }

  /**
   * Whether `m` is one of this seed's members: the druid names them `<memberNamePrefix>-<etcd>-<i>`,
   * and a learner added but not started yet has no name but this seed's peer URL.
   */
  #isMine(m: EtcdMemberEntry): boolean {
    return m.name.startsWith(`${this.#c.seedName}-${ETCD_MAIN}-`);
  }

  /** The cluster's members, asked of this seed's member when it answers, else of the source's. */
  async #members(): Promise<EtcdMemberEntry[]> {
    const own = (await this.#etcdMain.get())?.status?.endpoint;
    const record = await this.#record();
    const endpoints = [...(own ? [own] : []), ...(record.source.etcd[ETCD_MAIN] ?? []).flatMap((m) => m.clientURLs)];
    return memberList(endpoints, await this.#tls());
  }

  #endpoints(members: readonly EtcdMemberEntry[]): string[] {
    return members.flatMap((m) => m.clientUrls);
  }

  async #record(): Promise<LiveMigrationRecord> {
    const record = await this.#progress.get();
    if (!record) throw terminal(new Error(`no live migration of ${this.#c.namespace} is recorded`));
    return record;
  }

  /** The client side of etcd's TLS: `ca-etcd` and the client pair the API server uses. */
  async #tls(): Promise<EtcdTls> {
    const data = await this.#secrets.data('etcd-client-tls');
    return { caPem: data['ca.crt']!, certPem: data['tls.crt']!, keyPem: data['tls.key']!, clientCertAuth: true };
  }

  #etcds() {
    return this.#c.seed.resource(etcdResource);
  }
}

/**
 * Before a removal: the leader is a member that `stays`, else the leadership moves to a caught-up
 * voter that stays (`moveLeader` refuses a lagging one). With 3 + 3 members an election may give
 * the leadership to a member that is about to leave (to a source member after `LeaderMoved`, to a
 * destination voter before an abort), and etcd's leader is never removed.
 */
async function keepLeadershipOn(
  endpoints: readonly string[],
  tls: EtcdTls,
  members: readonly EtcdMemberEntry[],
  stays: (m: EtcdMemberEntry) => boolean,
): Promise<void> {
  const { leader } = await leaderStatus(members, tls);
  if (stays(leader)) return;
  const target = members.find((m) => stays(m) && !m.isLearner);
  if (!target) throw new EtcdClusterOpError(`no voter that stays can take the leadership from ${leader.name}`);
  await moveLeader(endpoints, tls, target.id);
}

function toLiveMember(m: EtcdMemberEntry): LiveEtcdMember {
  return { name: m.name, id: m.id, peerURLs: m.peerUrls, clientURLs: m.clientUrls };
}

function firstClientUrl(members: readonly LiveEtcdMember[]): string {
  const url = members.flatMap((m) => m.clientURLs)[0];
  if (!url) throw new Error('no etcd member with a client URL');
  return url;
}
