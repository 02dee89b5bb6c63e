/**
 * Etcd peer reachability between seeds (docs/live-migration.md, "Asking for it"): a live
 * migration joins the destination's etcd members to the source's cluster, so the two seeds must
 * reach each other's etcd peer network over TLS. Gardener has no field for it; each gardenlet
 *
 * - publishes on its own Seed where other seeds reach its etcd peers: the annotation
 *   `ETCD_PEER_ENDPOINT_ANNOTATION` (`host:port` of its peer probe listener, an etcd-agnostic TLS
 *   port on the address its etcd members listen on for peers);
 * - probes the other seeds' published endpoints (TCP and a TLS handshake, short timeout) and
 *   reports what it reached on its own Seed: the annotation `ETCD_PEERS_REACHED_ANNOTATION` (JSON,
 *   by seed name, machine-readable) and the condition `EtcdPeersReachable` (for people).
 *
 * The garden refuses the binding of a live migration unless each seed reported reaching the
 * other's currently published endpoint (`etcdPeerReachabilityProblem`).
 */
import { isRecord } from '../meta.js';
import type { Seed } from './seed.js';

/** `host:port` where other seeds reach this seed's etcd peer network (its peer probe listener). */
export const ETCD_PEER_ENDPOINT_ANNOTATION = 'live-migration.transplant.gardener.cloud/etcd-peer-endpoint';
/** JSON `{"<seed>": {"endpoint", "reachable", "error"?}}`: what this seed's last probes found. */
export const ETCD_PEERS_REACHED_ANNOTATION = 'live-migration.transplant.gardener.cloud/etcd-peers-reached';
/** The Seed condition summing the report up. */
export const ETCD_PEERS_REACHABLE_CONDITION = 'EtcdPeersReachable';

/** One probe of another seed's published endpoint. */
export interface EtcdPeerProbeResult {
  /** The endpoint probed: a report about an endpoint the seed no longer publishes is stale. */
  endpoint: string;
  reachable: boolean;
  /** Why not, when not (`connect ECONNREFUSED 127.0.0.1:1`, `timed out after 2000 ms`). */
  error?: string;
}

/** By seed name. */
export type EtcdPeerReport = Record<string, EtcdPeerProbeResult>;

/** The endpoint `seed` publishes, or undefined. */
export function publishedEtcdPeerEndpoint(seed: Seed): string | undefined {
  return seed.metadata.annotations?.[ETCD_PEER_ENDPOINT_ANNOTATION] || undefined;
}

/** The report `seed` published; malformed entries (or a malformed annotation) count as none. */
export function etcdPeerReport(seed: Seed): EtcdPeerReport {
  const text = seed.metadata.annotations?.[ETCD_PEERS_REACHED_ANNOTATION];
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  const report: EtcdPeerReport = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!isRecord(value) || typeof value.endpoint !== 'string' || typeof value.reachable !== 'boolean') continue;
    report[name] = {
      endpoint: value.endpoint,
      reachable: value.reachable,
      ...(typeof value.error === 'string' ? { error: value.error } : {}),
    };
  }
  return report;
}

/** The annotation's value for `report`: stable key order, so an unchanged report is an unchanged string. */
export function formatEtcdPeerReport(report: EtcdPeerReport): string {
  const sorted = Object.fromEntries(
    Object.keys(report)
      .sort()
      .map((name) => [name, report[name]]),
  );
  return JSON.stringify(sorted);
}

/**
 * Why `from` is not known to reach the etcd peers of `to`, or undefined when its report says it
 * reaches the endpoint `to` publishes now.
 */
export function etcdPeerReachabilityProblem(from: Seed, to: Seed): string | undefined {
  const fromName = from.metadata.name ?? '';
  const toName = to.metadata.name ?? '';
  const endpoint = publishedEtcdPeerEndpoint(to);
  if (!endpoint)
    return `seed "${toName}" publishes no etcd peer endpoint (annotation ${ETCD_PEER_ENDPOINT_ANNOTATION})`;
  const result = etcdPeerReport(from)[toName];
  if (!result) return `seed "${fromName}" has not reported whether it reaches the etcd peers of seed "${toName}" yet`;
  if (result.endpoint !== endpoint) {
    return `seed "${fromName}" last probed seed "${toName}" at ${result.endpoint}, which it no longer publishes (now ${endpoint}); its next probe tells`;
  }
  if (!result.reachable) {
    return `seed "${fromName}" cannot reach the etcd peers of seed "${toName}" at ${endpoint}: ${result.error ?? 'unreachable'}`;
  }
  return undefined;
}

/** The `EtcdPeersReachable` condition for `report` (without times: the heartbeat sets them). */
export function etcdPeersReachableCondition(report: EtcdPeerReport): {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
} {
  const names = Object.keys(report).sort();
  const unreachable = names.filter((name) => !report[name]!.reachable);
  const type = ETCD_PEERS_REACHABLE_CONDITION;
  if (names.length === 0) {
    return {
      type,
      status: 'Unknown',
      reason: 'NoPeerSeeds',
      message: 'No other seed publishes an etcd peer endpoint.',
    };
  }
  if (unreachable.length === 0) {
    return {
      type,
      status: 'True',
      reason: 'AllPeersReachable',
      message: `Reaches the etcd peer endpoints of seeds ${names.join(', ')}.`,
    };
  }
  const why = unreachable.map((name) => `${name} (${report[name]!.endpoint}: ${report[name]!.error ?? 'unreachable'})`);
  return {
    type,
    status: 'False',
    reason: 'PeersUnreachable',
    message: `Cannot reach the etcd peer endpoints of seeds ${why.join(', ')}.`,
  };
}
