/**
 * The etcd side of a live migration (docs/live-migration.md "The etcd side"): the source
 * publishes its members; the destination's Etcd joins them (etcd-druid's
 * `bootstrapWithExistingCluster`: learners, caught up, promoted one at a time), the data is
 * compared at one revision, the leadership moves to a destination member, and the source members
 * leave one at a time. Each method writes its phase into the record before it acts, and checks
 * what etcd says before each change, so a re-run after a crash finds the change made or makes it.
 */
import { getCondition } from '../../../api/core-gardener/conditions.js';
import type { LiveEtcdMember, LiveMigrationRecord } from '../../../api/core-gardener/live-migration.js';
import { ETCD_HANDED_OVER_ANNOTATION, type Etcd, type EtcdSpec, etcdResource } from '../../../api/druid/etcd.js';
import { nowTimestamp } from '../../../api/meta.js';
import { terminal } from '../../../flow/task-errors.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import type { ClusterMember, EtcdClientTls, EtcdHandover } from '../etcd-handover.js';
import { shootLabels } from '../shoot-labels.js';
import type { ComponentContext } from './context.js';
import { ETCD_MAIN, type EtcdMain } from './etcd.js';
import type { LiveMigrationProgress } from './live-migration.js';
import type { SecretsManager } from './secrets.js';
import { NotYetError, waitUntil } from './wait.js';

/** The druid's condition once the destination's members are voters of the source cluster (etcd-druid's name). */
export const BOOTSTRAPPED_WITH_EXISTING_CLUSTER = 'BootstrappedWithExistingCluster';

/**
 * etcd-druid's GEP-39 fields of an Etcd (api/core/v1alpha1/etcd.go): the members of the running
 * cluster to join, and the prefix that keeps this seed's member names apart from the source's.
 */
export interface JoiningEtcdSpec extends EtcdSpec {
  memberNamePrefix?: string;
  etcd: EtcdSpec['etcd'] & {
    bootstrapWithExistingCluster?: { members: { name: string; peerUrls: string[] }[]; clientEndpoints: string[] };
  };
}

export class LiveEtcd {
  readonly #c: ComponentContext;
  readonly #progress: LiveMigrationProgress;
  readonly #etcdMain: EtcdMain;
  readonly #secrets: SecretsManager;
  readonly #handover: EtcdHandover;

  constructor(
    c: ComponentContext,
    deps: { progress: LiveMigrationProgress; etcdMain: EtcdMain; secrets: SecretsManager; handover: EtcdHandover },
  ) {
    this.#c = c;
    this.#progress = deps.progress;
    this.#etcdMain = deps.etcdMain;
    this.#secrets = deps.secrets;
    this.#handover = deps.handover;
  }

  /**
   * Source: "Publishing etcd members for the destination seed". The members of etcd-main (name,
   * ID, peer and client URLs) go into a new record at `Preparing`; a record of this migration
   * already under way is kept (a re-run), one of an earlier migration is replaced.
   */
  async publishMembers(_ctx: TaskContext): Promise<void> {
    const endpoint = await this.#sourceEndpoint();
    const members = (await this.#handover.members(endpoint, await this.#tls())).map(toLiveMember);
    const { source, destination } = this.#progress.seeds;
    await this.#progress.update((current) => {
      if (current && current.phase !== 'Completed' && current.phase !== 'Aborted') return current;
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
   * etcd-main with `bootstrapWithExistingCluster` (the source's members from the record), member
   * names prefixed with this seed's name, peer TLS from `ca-etcd` (the same CA on both seeds), and
   * no backups yet: the source backs the cluster up until its members leave.
   */
  async join(_ctx: TaskContext): Promise<void> {
    const record = await this.#progress.advance('JoiningMembers');
    if (await this.#etcdMain.get()) return;
    const sourceMembers = record.source.etcd[ETCD_MAIN] ?? [];
    if (sourceMembers.length === 0) throw terminal(new Error(`the record names no ${ETCD_MAIN} member of the source`));
    const tls = {
      tlsCASecretRef: { name: 'ca-etcd', dataKey: 'ca.crt' },
      serverTLSSecretRef: { name: 'etcd-server-tls' },
      clientTLSSecretRef: { name: 'etcd-client-tls' },
    };
    const spec: JoiningEtcdSpec = {
      replicas: 1,
      memberNamePrefix: this.#c.seedName,
      labels: { role: 'main', 'gardener.cloud/role': 'controlplane' },
      selector: { matchLabels: { role: 'main' } },
      etcd: {
        clientUrlTls: tls,
        peerUrlTls: { tlsCASecretRef: tls.tlsCASecretRef, serverTLSSecretRef: tls.serverTLSSecretRef },
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
      const condition = getCondition(etcd?.status?.conditions ?? [], BOOTSTRAPPED_WITH_EXISTING_CLUSTER);
      if (condition?.status !== 'True') {
        throw new NotYetError(
          `${ETCD_MAIN} has not joined the source cluster yet (${BOOTSTRAPPED_WITH_EXISTING_CLUSTER}: ${condition?.status ?? 'not reported'}${condition?.message ? `, ${condition.message}` : ''})`,
        );
      }
    });
    const mine = (await this.#clusterMembers()).filter((m) => this.#isMine(m) && !m.isLearner).map(toLiveMember);
    await this.#progress.advance('MembersJoined', { destination: { etcd: { [ETCD_MAIN]: mine } } });
  }

  /**
   * Destination: "Verifying etcd data against the source cluster". `HashKV` at one revision (the
   * source member's current one) on a source and a destination member; the destination is asked
   * until it has applied that revision. A mismatch stops the migration before anything is
   * removed; `Verified` records the revision and the hash.
   */
  async verify(ctx: TaskContext): Promise<void> {
    if (await this.#progress.reached('Verified')) return;
    const record = await this.#record();
    const tls = await this.#tls();
    const sourceEndpoint = firstClientUrl(record.source.etcd[ETCD_MAIN] ?? []);
    const source = await this.#handover.hashAt(sourceEndpoint, tls, 0);
    const destinationEndpoint = await this.#etcdMain.clientUrl(ctx);
    let destination: { hash: number } | undefined;
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const progress = await this.#handover.progress(destinationEndpoint, tls);
      if (progress.revision < source.revision) {
        throw new NotYetError(
          `this seed's member is at revision ${progress.revision}, the source's hash is of ${source.revision}`,
        );
      }
      destination = await this.#handover.hashAt(destinationEndpoint, tls, source.revision);
    });
    if (destination!.hash !== source.hash) {
      const message = `etcd data differ at revision ${source.revision}: source hash ${source.hash}, destination hash ${destination!.hash}`;
      await this.#progress.update((current) => (current ? { ...current, message } : current));
      throw terminal(new Error(message));
    }
    await this.#progress.advance('Verified', { verification: { revision: source.revision, hash: source.hash } });
  }

  /**
   * Destination: "Moving etcd leadership to this seed". Only to a voter of this seed that has
   * applied everything the leader had committed when asked; then until etcd reports it leading.
   */
  async moveLeader(ctx: TaskContext): Promise<void> {
    if (await this.#progress.reached('LeaderMoved')) return;
    const tls = await this.#tls();
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const members = await this.#clusterMembers();
      const target = members.find((m) => this.#isMine(m) && !m.isLearner);
      if (!target) throw new NotYetError(`no member of seed ${this.#c.seedName} is a voter`);
      const targetProgress = await this.#handover.progress(firstClientUrl([toLiveMember(target)]), tls);
      if (targetProgress.leaderId === target.id) return;
      const leader = members.find((m) => m.id === targetProgress.leaderId);
      if (!leader) throw new NotYetError('the cluster has no leader right now');
      const leaderProgress = await this.#handover.progress(firstClientUrl([toLiveMember(leader)]), tls);
      // Its applied index is read after the leader's committed one: it has caught up with at least that.
      const caughtUp = await this.#handover.progress(firstClientUrl([toLiveMember(target)]), tls);
      if (caughtUp.raftAppliedIndex < leaderProgress.raftIndex) {
        throw new NotYetError(
          `member ${target.name} has applied index ${caughtUp.raftAppliedIndex}, the leader committed ${leaderProgress.raftIndex}`,
        );
      }
      await this.#handover.moveLeader(firstClientUrl([toLiveMember(leader)]), tls, target.id);
      throw new NotYetError(`leadership is moving to member ${target.name}`);
    });
    await this.#progress.advance('LeaderMoved');
  }

  /**
   * Source: "Handing etcd over to the destination seed": etcd-main is annotated handed-over (the
   * druid no longer restarts, re-joins or backs up its members), then `SourceReleased`.
   */
  async handOver(_ctx: TaskContext): Promise<void> {
    const etcd = await this.#etcdMain.get();
    if (etcd && etcd.metadata.annotations?.[ETCD_HANDED_OVER_ANNOTATION] !== 'true') {
      await this.#etcds().patch(this.#c.namespace, ETCD_MAIN, {
        metadata: { annotations: { [ETCD_HANDED_OVER_ANNOTATION]: 'true' } },
      });
    }
    await this.#progress.advance('SourceReleased');
  }

  /**
   * Destination: "Removing the source seed's etcd members". `RemovingSourceMembers`, then one
   * member at a time: only while every member left would be healthy (a quorum of the new
   * configuration), through a member of this seed; then `SourceMembersRemoved`.
   */
  async removeSourceMembers(ctx: TaskContext): Promise<void> {
    const record = await this.#progress.advance('RemovingSourceMembers');
    if (record.phase !== 'RemovingSourceMembers') return;
    const tls = await this.#tls();
    const endpoint = await this.#etcdMain.clientUrl(ctx);
    const sourceIds = new Set((record.source.etcd[ETCD_MAIN] ?? []).map((m) => m.id));
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const members = await this.#handover.members(endpoint, tls);
      const next = members.find((m) => sourceIds.has(m.id));
      if (!next) return;
      const remaining = members.filter((m) => m.id !== next.id);
      for (const m of remaining) {
        const progress = await this.#handover.progress(firstClientUrl([toLiveMember(m)]), tls).catch(() => undefined);
        if (!progress)
          throw new NotYetError(`member ${m.name} does not answer: removing ${next.name} would risk the quorum`);
      }
      await this.#handover.removeMember(endpoint, tls, next.id);
      this.#c.logger.info({ shoot: this.#c.namespace, member: next.name }, 'source etcd member removed');
      throw new NotYetError('removing the next source member');
    });
    await this.#progress.advance('SourceMembersRemoved');
  }

  /**
   * Abort, destination: "Removing this seed's etcd members from the source cluster". etcd-main is
   * handed over first (the druid must not re-join a removed member), then each of its members,
   * learner or voter, is removed through a source member; the source cluster is as it was.
   */
  async leave(ctx: TaskContext): Promise<void> {
    const etcd = await this.#etcdMain.get();
    if (!etcd) return;
    if (etcd.metadata.annotations?.[ETCD_HANDED_OVER_ANNOTATION] !== 'true') {
      await this.#etcds().patch(this.#c.namespace, ETCD_MAIN, {
        metadata: { annotations: { [ETCD_HANDED_OVER_ANNOTATION]: 'true' } },
      });
    }
    const record = await this.#record();
    const tls = await this.#tls();
    const endpoint = firstClientUrl(record.source.etcd[ETCD_MAIN] ?? []);
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const mine = (await this.#handover.members(endpoint, tls)).filter((m) => this.#isMine(m));
      if (mine.length === 0) return;
      await this.#handover.removeMember(endpoint, tls, mine[0]!.id);
      throw new NotYetError(`removing member ${mine[0]!.name} of seed ${this.#c.seedName}`);
    });
  }

  /** Whether `m` is one of this seed's members (etcd-druid's `<memberNamePrefix>-<etcd>-<i>`). */
  #isMine(m: ClusterMember): boolean {
    return m.name.startsWith(`${this.#c.seedName}-${ETCD_MAIN}-`);
  }

  async #clusterMembers(): Promise<ClusterMember[]> {
    const endpoint = (await this.#etcdMain.get())?.status?.endpoint;
    const record = await this.#record();
    return this.#handover.members(endpoint || firstClientUrl(record.source.etcd[ETCD_MAIN] ?? []), await this.#tls());
  }

  async #sourceEndpoint(): Promise<string> {
    const etcd: Etcd | null = await this.#etcdMain.get();
    const endpoint = etcd?.status?.endpoint;
    if (!endpoint) throw new Error(`${ETCD_MAIN} in ${this.#c.namespace} reports no client URL`);
    return endpoint;
  }

  async #record(): Promise<LiveMigrationRecord> {
    const record = await this.#progress.get();
    if (!record) throw terminal(new Error(`no live migration of ${this.#c.namespace} is recorded`));
    return record;
  }

  async #tls(): Promise<EtcdClientTls> {
    const data = await this.#secrets.data('etcd-client-tls');
    return { caPem: data['ca.crt']!, certPem: data['tls.crt']!, keyPem: data['tls.key']! };
  }

  #etcds() {
    return this.#c.seed.resource(etcdResource);
  }
}

function toLiveMember(m: ClusterMember): LiveEtcdMember {
  return { name: m.name, id: m.id, peerURLs: m.peerURLs, clientURLs: m.clientURLs };
}

function firstClientUrl(members: readonly LiveEtcdMember[]): string {
  const url = members.flatMap((m) => m.clientURLs)[0];
  if (!url) throw new Error('no etcd member with a client URL');
  return url;
}
