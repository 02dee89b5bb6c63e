/**
 * The `local` provider: objects are files at `<root>/<container>/<prefix>/v2/<name>`.
 * A save writes `.tmp-<random>` in the same directory, synced in slices as it grows
 * (synced-file-writer.ts), renames it into place and fsyncs
 * the directory, so a crash leaves at most a temp file, which listings ignore (unlike
 * etcd-backup-restore's local store, which writes in place).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { syncedFileWriter } from '../../streams/synced-file-writer.js';
import { tapStream } from '../../streams/tap-stream.js';
import { SnapstoreError } from './errors.js';
import { compareSnapshots, parseSnapshotName } from './snapshot-name.js';
import type {
  PrefixObject,
  SaveOptions,
  Snapshot,
  Snapstore,
  StatOptions,
  StoredContent,
  StoredObject,
} from './snapstore.js';

/**
 * Bytes per read of an object. Node's 64 KiB default makes a 1 GB copy or restore 16k chunks,
 * each through every stream stage (hashing, progress, the target's writes) on its own.
 */
const READ_CHUNK_BYTES = 1024 * 1024;

/** Prefix of in-progress files; such names never parse as snapshots. */
export const LOCAL_TEMP_PREFIX = '.tmp-';

export interface LocalSnapstoreOptions {
  /** The directory `container` is relative to (default: the home directory, as etcdbrctl). An absolute container ignores it. */
  root?: string;
  container: string;
  prefix: string;
}

interface CachedDigest {
  size: number;
  mtimeMs: number;
  sha256: string;
}

function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

export class LocalSnapstore implements Snapstore {
  readonly provider = 'local' as const;
  readonly location: string;
  /** The `v2` directory holding the objects. */
  readonly directory: string;
  readonly #digests = new Map<string, CachedDigest>();
  /** The container directory (the bucket), which nothing here ever removes. */
  readonly #container: string;

  constructor(options: LocalSnapstoreOptions) {
    const base = path.resolve(options.root ?? homedir(), options.container);
    this.#container = base;
    this.directory = path.join(base, options.prefix, 'v2');
    this.location = path.join(base, options.prefix);
  }

  /** The prefix's directory, strictly inside the container; a `Config` error otherwise. */
  #prefixDirectory(): string {
    const relative = path.relative(this.#container, this.location);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new SnapstoreError(
        'Config',
        this.location,
        'a prefix inside the container is needed: the whole container is never deleted',
      );
    }
    return this.location;
  }

  async listPrefix(): Promise<PrefixObject[]> {
    const top = this.#prefixDirectory();
    const objects: PrefixObject[] = [];
    const walk = async (directory: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
        throw err;
      }
      for (const entry of entries) {
        const full = path.join(directory, entry.name);
        if (entry.isDirectory()) {
          await walk(full);
          continue;
        }
        const info = await stat(full).catch(() => undefined);
        if (!info?.isFile()) continue;
        objects.push({ key: path.relative(top, full).split(path.sep).join('/'), size: info.size });
      }
    };
    await walk(top);
    return objects;
  }

  async deleteFromPrefix(key: string): Promise<void> {
    const top = this.#prefixDirectory();
    const file = path.resolve(top, key);
    const relative = path.relative(top, file);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new SnapstoreError('Config', this.location, `${JSON.stringify(key)} is not a key under the prefix`);
    }
    if (relative.split(path.sep)[0] === 'v2') this.#digests.delete(path.basename(file));
    await unlink(file).catch((err: unknown) => {
      if (!isErrno(err, 'ENOENT')) throw err;
    });
    // The directories left empty go too, up to the prefix's own: an emptied prefix leaves no trace.
    for (let dir = path.dirname(file); dir.startsWith(top); dir = path.dirname(dir)) {
      const removed = await rmdir(dir).then(
        () => true,
        () => false,
      );
      if (!removed || dir === top) break;
    }
    await syncDirectory(path.dirname(top));
  }

  #path(snapshot: Snapshot): string {
    if (
      snapshot.name.includes('/') ||
      snapshot.name.includes(path.sep) ||
      parseSnapshotName(snapshot.name) === undefined
    ) {
      throw new SnapstoreError('Config', this.location, `not a snapshot name: ${JSON.stringify(snapshot.name)}`);
    }
    return path.join(this.directory, snapshot.name);
  }

  async list(): Promise<StoredObject[]> {
    let entries: string[];
    try {
      entries = await readdir(this.directory);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const objects: StoredObject[] = [];
    for (const entry of entries) {
      if (entry.startsWith(LOCAL_TEMP_PREFIX)) continue;
      const snapshot = parseSnapshotName(entry);
      if (!snapshot) continue;
      const info = await stat(path.join(this.directory, entry)).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT')) return undefined; // deleted meanwhile
        throw err;
      });
      if (!info?.isFile()) continue;
      objects.push({ snapshot, size: info.size });
    }
    return objects.sort((a, b) => compareSnapshots(a.snapshot, b.snapshot));
  }

  async save(snapshot: Snapshot, data: Readable | Buffer, options: SaveOptions = {}): Promise<StoredContent> {
    const target = this.#path(snapshot);
    options.signal?.throwIfAborted();
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const temp = path.join(this.directory, `${LOCAL_TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      const source = Buffer.isBuffer(data) ? Readable.from([data]) : data;
      const digest = tapStream((chunk) => {
        hash.update(chunk);
        size += chunk.length;
        options.onProgress?.(size);
      });
      // Synced in slices as it is written, and whole before the rename below publishes it.
      const file = syncedFileWriter(await open(temp, 'wx', 0o600));
      await pipeline(source, digest, file, options.signal ? { signal: options.signal } : {});
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => {});
      if (options.signal?.aborted) {
        throw new SnapstoreError('Aborted', this.location, `saving ${snapshot.name} was aborted`);
      }
      throw err;
    }
    await syncDirectory(this.directory);
    const info = await stat(target);
    const sha256 = hash.digest('hex');
    this.#digests.set(snapshot.name, { size, mtimeMs: info.mtimeMs, sha256 });
    return { size, sha256 };
  }

  async fetch(snapshot: Snapshot): Promise<Readable> {
    const file = this.#path(snapshot);
    try {
      const handle = await open(file, 'r');
      return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    } catch (err) {
      if (isErrno(err, 'ENOENT'))
        throw new SnapstoreError('NotFound', this.location, `snapshot ${snapshot.name} not found`);
      throw err;
    }
  }

  /** Deleting an absent snapshot is not an error. */
  async delete(snapshot: Snapshot): Promise<void> {
    this.#digests.delete(snapshot.name);
    await unlink(this.#path(snapshot)).catch((err: unknown) => {
      if (!isErrno(err, 'ENOENT')) throw err;
    });
  }

  async stat(snapshot: Snapshot, options: StatOptions = {}): Promise<{ size: number; sha256?: string } | undefined> {
    const file = this.#path(snapshot);
    const info = await stat(file).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (!info?.isFile()) return undefined;
    const cached = this.#digests.get(snapshot.name);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
      return { size: info.size, sha256: cached.sha256 };
    }
    if (options.recordedOnly) return { size: info.size };
    const hash = createHash('sha256');
    await pipeline(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), hash);
    const sha256 = hash.digest('hex');
    this.#digests.set(snapshot.name, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
    return { size: info.size, sha256 };
  }
}

/** Makes a rename durable; some filesystems refuse to fsync a directory, which is fine. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // not supported here
  } finally {
    await handle.close();
  }
}
