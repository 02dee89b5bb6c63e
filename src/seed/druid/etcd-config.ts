/**
 * What one Etcd object asks of its server, as `startEtcd` options: the member name, the backend
 * quota (`spec.etcd.quota`), auto-compaction (`spec.sharedConfig`), the client TLS, and a digest
 * of all of it. The druid restarts a running server whose digest differs (etcd-druid rolls its
 * StatefulSet for the same reason). `spec.etcd.clientPort`/`serverPort` are not used: many
 * etcds share a seed's loopback, so the druid picks free ports once and keeps them.
 */
import { createHash } from 'node:crypto';
import { type Etcd, etcdMemberNameAt } from '../../api/druid/etcd.js';
import type { EtcdTls } from '../../process/etcd-process.js';

/** The members' peer side: TLS from `spec.etcd.peerUrlTls` and the address the listeners bind. */
export interface EtcdPeerConfig {
  readonly tls: { caPem: string; certPem: string; keyPem: string };
  /** The seed's peer address (loopback on one host; the seed host's address in hosts mode). */
  readonly host: string;
}

/**
 * etcd's own check before a removal refuses it for 5 s after a leader change; the live
 * migration's `removeMember` checks the quorum itself (etcd-cluster-ops.ts), so members with peer
 * TLS run without it.
 */
export const NO_STRICT_RECONFIG_CHECK = '--strict-reconfig-check=false';

export interface EtcdLaunchConfig {
  readonly memberName: string;
  /** Set when the Etcd has `spec.etcd.peerUrlTls`: peer traffic over TLS on `peer.host`. */
  readonly peer: EtcdPeerConfig | undefined;
  readonly quotaBackendBytes: number | undefined;
  readonly extraArgs: readonly string[];
  readonly tls: EtcdTls | undefined;
  /** sha256 over everything above: equal digests, equal servers. */
  readonly configHash: string;
}

/**
 * The member name, `[<memberNamePrefix>-]<name>-0` as the pod of etcd-druid's StatefulSet would
 * be called; it is part of the data dir's cluster membership, so a restore from a snapshot must
 * use it too.
 */
export function etcdMemberName(etcd: Etcd): string {
  return etcdMemberNameAt(etcd, 0);
}

/**
 * The peer URLs member `memberName` advertises: its listener's (`https://<host>:<port>`, plain
 * HTTP without peer TLS) first, then `spec.etcd.additionalAdvertisePeerURLs` for it.
 */
export function etcdAdvertisedPeerUrls(etcd: Etcd, memberName: string, host: string, port: number): string[] {
  const scheme = etcd.spec.etcd.peerUrlTls ? 'https' : 'http';
  const own = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const more = etcd.spec.etcd.additionalAdvertisePeerURLs?.find((m) => m.memberName === memberName)?.urls ?? [];
  return [own, ...more.filter((u) => u !== own)];
}

/** The launch configuration of `etcd`; `baseArgs` (e.g. faster elections) come first. */
export function etcdLaunchConfig(
  etcd: Etcd,
  tls: EtcdTls | undefined,
  baseArgs: readonly string[] = [],
  peer?: EtcdPeerConfig,
): EtcdLaunchConfig {
  const memberName = etcdMemberName(etcd);
  const quota = etcd.spec.etcd.quota;
  const quotaBackendBytes = typeof quota === 'string' ? parseBytes(quota) : undefined;
  const extraArgs = [...baseArgs];
  const { autoCompactionMode: mode, autoCompactionRetention: retention } = etcd.spec.sharedConfig ?? {};
  if (retention) {
    extraArgs.push(`--auto-compaction-mode=${mode || 'periodic'}`);
    extraArgs.push(`--auto-compaction-retention=${retention}`);
  }
  if (peer) extraArgs.push(NO_STRICT_RECONFIG_CHECK);
  const additional = etcd.spec.etcd.additionalAdvertisePeerURLs ?? [];
  // Without peer TLS the digest is what it was before peers existed, so no running member restarts.
  const peerPart = peer ? { peer, additional } : {};
  const configHash = createHash('sha256')
    .update(JSON.stringify({ memberName, quotaBackendBytes, extraArgs, tls: tls ?? null, ...peerPart }))
    .digest('hex');
  return Object.freeze({ memberName, peer, quotaBackendBytes, extraArgs: Object.freeze(extraArgs), tls, configHash });
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A Kubernetes quantity of bytes (`8Gi`, `500M`, `1073741824`); undefined when not one. */
export function parseBytes(quantity: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity.trim());
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1));
  return bytes > 0 ? bytes : undefined;
}
