/**
 * Replays delta snapshots onto a restored data dir through a temporary etcd: one transaction per
 * revision, in order, each checked to land on the revision its events carry. Keys are put
 * without their lease (the lease may not exist here), as etcd-backup-restore does.
 *
 * The leases already in the database are kept alive while the replay runs: etcd would otherwise
 * revoke the expired ones, deleting their keys at a revision the deltas use for something else
 * (etcd-backup-restore issues #583 and #1045). Their expiry resumes when the real server starts.
 */
import type { Logger } from 'pino';
import { startEtcd } from '../../process/etcd-process.js';
import { type DeltaEvent, groupByRevision } from '../snapshot-format.js';
import type { Snapshot } from '../snapstore/snapstore.js';
import { EtcdGrpcChannel, type TxnOp } from './etcd-grpc-channel.js';
import { type DeltaSummary, readDeltaSnapshot } from './fetch-snapshots.js';
import { RestoreError } from './restore-error.js';

export interface FetchedDelta {
  snapshot: Snapshot;
  /** The decompressed, checked bytes (`fetchDeltaSnapshot`). */
  file: string;
  summary: DeltaSummary;
}

export interface ReplayOptions {
  /** A data dir `etcdctl snapshot restore` wrote. */
  dataDir: string;
  /** The temporary etcd's conf dir (its log goes there). */
  confDir: string;
  memberName: string;
  deltas: readonly FetchedDelta[];
  etcdBinary?: string;
  /** Called before each delta is applied (index from 0). */
  onDelta?: (index: number, delta: FetchedDelta) => void;
  /** Told the events of each revision once they are in the data dir: applied, or there already. */
  onEvents?: (events: number) => void;
  logger?: Logger;
}

/** etcd-backup-restore's embedded etcd quota: room for a large database while it grows. */
const QUOTA_BACKEND_BYTES = 8 * 1024 ** 3;
/** etcd's defaults; raised when one revision of a delta needs more. */
const DEFAULT_MAX_TXN_OPS = 128;
const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Protobuf framing per operation, beyond key and value bytes. */
const PER_OP_OVERHEAD_BYTES = 32;
/** A single member elects itself after its election timeout; short ones make the start quick. */
const FAST_ELECTION_ARGS = ['--election-timeout=200', '--heartbeat-interval=20'];
const LEASE_REFRESH_MS = 500;
const START_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 60_000;

/** Replays the deltas in order; returns the revision reached. */
export async function replayDeltas(options: ReplayOptions): Promise<number> {
  const { deltas } = options;
  const maxOps = Math.max(DEFAULT_MAX_TXN_OPS, ...deltas.map((d) => d.summary.largestRevision.ops));
  const maxBytes = Math.max(
    DEFAULT_MAX_REQUEST_BYTES,
    ...deltas.map((d) => d.summary.largestRevision.bytes + d.summary.largestRevision.ops * PER_OP_OVERHEAD_BYTES),
  );
  const etcd = await startEtcd({
    name: options.memberName,
    dataDir: options.dataDir,
    confDir: options.confDir,
    quotaBackendBytes: QUOTA_BACKEND_BYTES,
    extraArgs: [...FAST_ELECTION_ARGS, `--max-txn-ops=${maxOps}`, `--max-request-bytes=${maxBytes}`],
    startTimeoutMs: START_TIMEOUT_MS,
    stopGraceMs: STOP_GRACE_MS,
    ...(options.etcdBinary ? { binary: options.etcdBinary } : {}),
  }).catch((err: unknown) => {
    throw new RestoreError(`the temporary etcd that replays the deltas did not start: ${(err as Error).message}`, {
      cause: err,
    });
  });
  const channel = new EtcdGrpcChannel(etcd.clientUrl);
  let stopKeepAlive = () => {};
  try {
    const leases = await channel.leaseIds();
    stopKeepAlive = channel.keepAlive(leases, LEASE_REFRESH_MS);
    let revision = await channel.currentRevision();
    options.logger?.info(
      { revision, leases: leases.length, deltas: deltas.length },
      'temporary etcd started on the restored data dir',
    );
    for (const [index, delta] of deltas.entries()) {
      options.onDelta?.(index, delta);
      revision = await applyDelta(channel, delta, revision, options.onEvents);
    }
    return revision;
  } catch (err) {
    if (err instanceof RestoreError) throw err;
    throw new RestoreError(`replaying delta snapshots failed: ${(err as Error).message}`, { cause: err });
  } finally {
    stopKeepAlive();
    await channel.close();
    await etcd.stop();
  }
}

/** Applies the revisions of one delta above `revision`; returns the revision reached. */
async function applyDelta(
  channel: EtcdGrpcChannel,
  delta: FetchedDelta,
  revision: number,
  onEvents: ((events: number) => void) | undefined,
): Promise<number> {
  const { snapshot } = delta;
  const events = await readDeltaSnapshot(snapshot, delta.file);
  let current = revision;
  let applied = false;
  for (const group of groupByRevision(events)) {
    if (group.revision <= current) {
      onEvents?.(group.events.length); // already in the restored database
      continue;
    }
    if (group.revision !== current + 1) {
      throw new RestoreError(
        `gap in the backups: ${snapshot.name} continues at revision ${group.revision} but the data reached only ${current}; revisions ${current + 1}..${group.revision - 1} are missing`,
        { object: snapshot.name },
      );
    }
    const reached = await channel.txn(group.events.map(toTxnOp)).catch((err: unknown) => {
      throw new RestoreError(
        `applying revision ${group.revision} of delta snapshot ${snapshot.name} failed: ${(err as Error).message}`,
        { object: snapshot.name, cause: err },
      );
    });
    if (reached !== group.revision) throw mismatch(snapshot, group.revision, reached);
    current = reached;
    applied = true;
    onEvents?.(group.events.length);
  }
  if (applied) {
    // Anything else that moved the revision (it must not) shows here.
    const reached = await channel.currentRevision();
    if (reached !== snapshot.lastRevision) throw mismatch(snapshot, snapshot.lastRevision, reached);
  }
  return current;
}

function mismatch(snapshot: Snapshot, expected: number, applied: number): RestoreError {
  return new RestoreError(
    `mismatched event revision while applying delta snapshot ${snapshot.name}, expected ${expected} but applied ${applied}`,
    { object: snapshot.name },
  );
}

function toTxnOp(event: DeltaEvent): TxnOp {
  return event.type === 'PUT'
    ? { type: 'put', key: event.kv.key, value: event.kv.value }
    : { type: 'delete', key: event.kv.key };
}
