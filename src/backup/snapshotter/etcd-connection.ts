/**
 * The backup sidecar's connection to its etcd: one client URL, plain or TLS with a client
 * certificate. Requests are not retried by the client library (its circuit breaker would keep
 * failing calls for seconds after a restarted etcd came back); the snapshotter retries itself.
 */
import { Etcd3 } from 'etcd3';
import { passThrough } from '../../storage/etcd/etcd-store.js';
import { rangeStart } from '../../storage/etcd/key-range.js';

export interface EtcdConnection {
  /** `http(s)://host:port`. */
  endpoint: string;
  /** The CA that signed etcd's certificate and the client certificate to present. */
  tls?: { caPem: string; certPem: string; keyPem: string };
}

/** Deadline of a unary request (a revision read); streams (snapshot, watch) have none. */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * HTTP/2 receive window. grpc-js keeps the 64 KiB default, which lets etcd send only two of its
 * 32 KiB snapshot messages per round trip: a 1 GB snapshot then arrived at about half the speed
 * etcdctl (Go's gRPC, which widens its window as it measures the connection) reads it.
 */
const FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

export function connectEtcd(connection: EtcdConnection): Etcd3 {
  return new Etcd3({
    hosts: [connection.endpoint],
    credentials: connection.tls && {
      rootCertificate: Buffer.from(connection.tls.caPem),
      certChain: Buffer.from(connection.tls.certPem),
      privateKey: Buffer.from(connection.tls.keyPem),
    },
    // Watch batches can be large; etcd bounds what it sends itself.
    grpcOptions: { 'grpc.max_receive_message_length': -1, 'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + REQUEST_TIMEOUT_MS }),
    faultHandling: { host: () => passThrough, global: passThrough },
  });
}

/** etcd's current revision: the header of the cheapest range request. */
export async function currentRevision(client: Etcd3): Promise<number> {
  const res = await client.kv.range({ key: rangeStart(''), keys_only: true, limit: 1 });
  return Number(res.header.revision);
}
