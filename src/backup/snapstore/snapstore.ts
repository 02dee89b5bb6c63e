/**
 * Where etcd backups live (etcd-backup-restore's snapstore): objects under
 * `<prefix>/v2/<snapshot name>` in a container (a bucket, or a directory for the local provider).
 * Providers: `local` and `s3`. Writes are atomic: a reader never sees a partial object, and an
 * interrupted upload leaves nothing a later listing takes for a snapshot.
 */
import type { Readable } from 'node:stream';

/** etcdbrctl's `--min-chunk-size` default and S3's minimum part size. */
export const MIN_CHUNK_SIZE = 5 * 1024 * 1024;

export type SnapshotKind = 'Full' | 'Incr';

/** A snapshot as named in the store: `Full-%08d-%08d-%d[.gz][.final]`, `Incr-…`. */
export interface Snapshot {
  kind: SnapshotKind;
  startRevision: number;
  lastRevision: number;
  /** Unix seconds. */
  createdOn: number;
  compression: 'gzip' | 'none';
  isFinal: boolean;
  /** The object name below `<prefix>/v2/`. */
  name: string;
}

export interface StoredObject {
  snapshot: Snapshot;
  /** Object size in bytes. */
  size: number;
}

export interface StatOptions {
  recordedOnly?: boolean;
}

/** What a save stored. */
export interface StoredContent {
  size: number;
  sha256: string;
}

export interface SaveOptions {
  /** Aborts the upload; nothing is left that a listing would show. */
  signal?: AbortSignal;
  /** Called as bytes reach the store (for progress displays); `bytes` is the running total. */
  onProgress?: (bytes: number) => void;
}

/** An object anywhere under a store's `<prefix>/` (a snapshot, a chunk, a temp file, another member's backups). */
export interface PrefixObject {
  /** The key below `<prefix>/`, `/`-separated, e.g. `v2/Full-00000000-00000010-1767225600`. */
  key: string;
  /** Size in bytes. */
  size: number;
}

export interface Snapstore {
  readonly provider: 'local' | 's3';
  /** Human-readable location for messages, e.g. `s3://bucket/prefix` or a directory. Never credentials. */
  readonly location: string;
  /** Complete snapshots, sorted by lastRevision ascending (etcd-backup-restore's order). */
  list(): Promise<StoredObject[]>;
  /**
   * Stores a snapshot atomically; `data` is the object's bytes (already compressed if named so).
   * Resolves with the size and SHA-256 (hex) of the bytes stored, which the store hashed anyway,
   * so callers need not hash the same bytes again.
   */
  save(snapshot: Snapshot, data: Readable | Buffer, options?: SaveOptions): Promise<StoredContent>;
  /** The object's bytes. */
  fetch(snapshot: Snapshot): Promise<Readable>;
  delete(snapshot: Snapshot): Promise<void>;
  /**
   * Every object under `<prefix>/`, not only `v2` snapshots, in no particular order. Refuses a
   * store without a prefix (`Config`): a whole container is never one store's to delete.
   */
  listPrefix(): Promise<PrefixObject[]>;
  /**
   * Deletes one object `listPrefix` listed (absent is not an error); a local store also removes
   * the directories this leaves empty, up to and including the prefix's own, never the container.
   * Refuses a store without a prefix and a key that leaves the prefix.
   */
  deleteFromPrefix(key: string): Promise<void>;
  /**
   * Size and a checksum of a stored object (for idempotent copies); undefined when absent. With
   * `{recordedOnly: true}` the checksum is given only when the store has it on record (S3
   * metadata, a digest kept from the save) — no read of the whole object to compute it.
   */
  stat(snapshot: Snapshot, options?: StatOptions): Promise<{ size: number; sha256?: string } | undefined>;
}
