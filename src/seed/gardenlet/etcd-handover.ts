/**
 * What a live migration asks of the shoot's etcd cluster beyond the druid's join (etcd's gRPC
 * API through the `etcd3` client: the JSON gateway of etcd 3.4 has no HashKV): the members, one
 * member's progress, the key-space hash at a revision, leader transfer and member removal. Every
 * call opens its own connection to the one member it names and closes it: the members of a
 * cluster being moved come and go, so no connection is kept.
 */
import type { Etcd3 } from 'etcd3';
import { connectEtcd, type EtcdConnection } from '../../backup/snapshotter/etcd-connection.js';

/** The CA of the etcd's certificates and the client pair (`etcd-client-tls`). */
export type EtcdClientTls = NonNullable<EtcdConnection['tls']>;

export interface ClusterMember {
  /** Decimal string of the uint64 ID. */
  id: string;
  /** Empty for a member added but never started. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberProgress {
  id: string;
  /** The leader this member follows, "0" when it knows none. */
  leaderId: string;
  revision: number;
  /** The index it knows committed. */
  raftIndex: number;
  /** The index it has applied: its data is current up to there. */
  raftAppliedIndex: number;
  isLearner: boolean;
}

export interface EtcdHandover {
  members(endpoint: string, tls: EtcdClientTls): Promise<ClusterMember[]>;
  progress(endpoint: string, tls: EtcdClientTls): Promise<MemberProgress>;
  /** etcd's `HashKV`: the hash of the key space up to `revision` (0: the current one) and the revision it is of. */
  hashAt(endpoint: string, tls: EtcdClientTls, revision: number): Promise<{ hash: number; revision: number }>;
  /** etcd's `MoveLeader`, sent to the leader (`leaderEndpoint`): etcd refuses it elsewhere. */
  moveLeader(leaderEndpoint: string, tls: EtcdClientTls, toId: string): Promise<void>;
  removeMember(endpoint: string, tls: EtcdClientTls, id: string): Promise<void>;
}

/** The handover through etcd's gRPC API. */
export const grpcEtcdHandover: EtcdHandover = Object.freeze<EtcdHandover>({
  members: (endpoint, tls) =>
    withEtcd(endpoint, tls, async (etcd) => {
      const res = await etcd.cluster.memberList({ linearizable: true });
      return (res.members ?? []).map((m) => ({
        id: String(m.ID),
        name: m.name ?? '',
        peerURLs: m.peerURLs ?? [],
        clientURLs: m.clientURLs ?? [],
        isLearner: m.isLearner === true,
      }));
    }),
  progress: (endpoint, tls) =>
    withEtcd(endpoint, tls, async (etcd) => {
      const res = await etcd.maintenance.status({});
      return {
        id: String(res.header.member_id),
        leaderId: String(res.leader),
        revision: Number(res.header.revision),
        raftIndex: Number(res.raftIndex),
        raftAppliedIndex: Number(res.raftAppliedIndex ?? res.raftIndex),
        isLearner: res.isLearner === true,
      };
    }),
  hashAt: (endpoint, tls, revision) =>
    withEtcd(endpoint, tls, async (etcd) => {
      const res = await etcd.maintenance.hashKV({ revision: String(revision) });
      return { hash: Number(res.hash), revision: revision || Number(res.header.revision) };
    }),
  moveLeader: (leaderEndpoint, tls, toId) =>
    withEtcd(leaderEndpoint, tls, async (etcd) => {
      await etcd.maintenance.moveLeader({ targetID: toId });
    }),
  removeMember: (endpoint, tls, id) =>
    withEtcd(endpoint, tls, async (etcd) => {
      await etcd.cluster.memberRemove({ ID: id });
    }),
});

async function withEtcd<T>(endpoint: string, tls: EtcdClientTls, call: (etcd: Etcd3) => Promise<T>): Promise<T> {
  const etcd = connectEtcd({ endpoint, tls });
  try {
    return await call(etcd);
  } finally {
    etcd.close();
  }
}
