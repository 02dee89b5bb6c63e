/**
 * Copies backups from one snapstore to another, as `etcdbrctl copy` does
 * (pkg/snapshot/copier/copier.go), with two differences that make it safe to re-run:
 *
 * - Idempotent by content: an object is skipped only when the target holds it with the same size
 *   and SHA-256; a same-named object with other content is replaced (saves are atomic).
 * - Every copy is verified: the target's size and SHA-256 after the save must equal those of the
 *   bytes read from the source.
 *
 * As etcdbrctl: a backup is a full snapshot with the deltas up to the next full; deltas older
 * than the oldest full are dropped; the newest backup goes first; `.final` is stripped from the
 * target's name; bytes are copied verbatim (compressed stays compressed), streaming, several
 * objects at a time. A killed copy leaves nothing partial behind, so a re-run copies what is
 * missing.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, pino } from 'pino';
import { SnapstoreError, type SnapstoreErrorCode } from './snapstore/errors.js';
import { withFinal } from './snapstore/snapshot-name.js';
import type { Snapshot, Snapstore, StoredContent, StoredObject } from './snapstore/snapstore.js';

/** etcdbrctl's `finalSnapshotCheckInterval`. */
export const FINAL_SNAPSHOT_CHECK_INTERVAL_MS = 15_000;
/** etcdbrctl's `--max-parallel-copy-operations` default. */
export const DEFAULT_MAX_PARALLEL_COPY_OPERATIONS = 10;
/** How many of the newest full snapshots may carry the final marker (etcd-backup-restore PR #1001). */
const FINAL_SNAPSHOT_CANDIDATES = 4;
const SECONDS_PER_DAY = 86_400;

export interface CopyOptions {
  source: Snapstore;
  target: Snapstore;
  /** Newest backups (a full and its deltas) to copy; -1 (default) copies all, 0 none. */
  maxBackupsToCopy?: number;
  /** Only backups whose full snapshot is younger than this many days; -1 (default) any age. */
  maxBackupAgeDays?: number;
  /** Objects copied at the same time; default 10. */
  maxParallelCopyOperations?: number;
  /** Wait until one of the source's newest full snapshots is final before copying. */
  waitForFinalSnapshot?: boolean;
  /** How long to wait for the final snapshot before copying anyway; 0 (default) waits forever. */
  waitForFinalSnapshotTimeoutMs?: number;
  /** How often the source is checked for a final snapshot; default 15 s. */
  finalSnapshotCheckIntervalMs?: number;
  /** Stops waiting and copying; `copyBackups` then rejects with the signal's reason. */
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  /** Called once per object when it is copied, skipped or has failed. */
  onObject?: (event: CopyObjectEvent) => void;
  /** Default: silent. */
  logger?: Logger;
  /** For the age filter; default now. */
  now?: () => Date;
}

export interface CopyProgress {
  phase: 'waiting-for-final' | 'listing' | 'copying' | 'done';
  /** Objects selected for copying (copied or skipped). */
  totalObjects: number;
  /** Objects finished: copied, skipped or failed. */
  doneObjects: number;
  skippedObjects: number;
  /** Size of all selected objects. */
  totalBytes: number;
  /** Bytes copied so far (objects in flight included). */
  copiedBytes: number;
  /** Size of the skipped objects, so `copiedBytes + skippedBytes` approaches `totalBytes`. */
  skippedBytes: number;
  /** The object most recently started. */
  current?: string;
  /** Set once the wait for a final snapshot has ended. */
  finalSnapshot?: 'found' | 'timed-out';
}

export interface CopyObjectEvent {
  /** The object as named in the source. */
  source: Snapshot;
  /** The object as named in the target (without `.final`). */
  target: Snapshot;
  /** `replaced`: the target held a different object under this name. */
  action: 'copied' | 'replaced' | 'skipped' | 'failed';
  /** Bytes copied (0 when skipped). */
  bytes: number;
  durationMs: number;
  error?: Error;
}

export interface CopyResult {
  /** Source snapshots copied (including replaced ones), in the order they finished. */
  copied: Snapshot[];
  /** Source snapshots already complete in the target. */
  skipped: Snapshot[];
  /** Bytes copied. */
  bytes: number;
  finalSnapshot: 'found' | 'timed-out' | 'not-requested';
}

/** A store could not be used (unreachable, credentials, missing container); names which store and why. */
export class BackupStoreError extends Error {
  override readonly name = 'BackupStoreError';
  readonly role: 'source' | 'target';
  readonly location: string;
  /** The snapstore's error code when the store reported one. */
  readonly code: SnapstoreErrorCode | undefined;

  constructor(role: 'source' | 'target', store: Snapstore, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    // SnapstoreError messages already start with the location.
    const detail = message.startsWith(`${store.location}:`) ? message : `${store.location}: ${message}`;
    super(`${role} store ${detail}`, { cause });
    this.role = role;
    this.location = store.location;
    this.code = SnapstoreError.is(cause) ? cause.code : undefined;
  }
}

/** Some objects could not be copied; the others were. */
export class CopyFailedError extends Error {
  override readonly name = 'CopyFailedError';
  readonly failures: ReadonlyArray<{ snapshot: string; error: Error }>;
  /** What was copied and skipped despite the failures. */
  readonly result: CopyResult;

  constructor(failures: Array<{ snapshot: string; error: Error }>, result: CopyResult) {
    const total = failures.length + result.copied.length + result.skipped.length;
    super(
      `copying ${failures.length} of ${total} snapshot(s) failed:\n` +
        failures.map((f) => `  ${f.snapshot}: ${f.error.message}`).join('\n'),
    );
    this.failures = failures;
    this.result = result;
  }
}

/** One object to copy: a source snapshot and the name it gets in the target. */
interface CopyItem {
  object: StoredObject;
  target: Snapshot;
}

/**
 * The source objects to copy, newest backup first: each full snapshot followed by its deltas
 * (etcd-backup-restore's `GetFilteredBackups`). Deltas before the oldest full are dropped.
 */
export function selectBackups(
  objects: readonly StoredObject[],
  options: { maxBackupsToCopy?: number; maxBackupAgeDays?: number; now?: Date } = {},
): StoredObject[] {
  const maxBackups = options.maxBackupsToCopy ?? -1;
  const maxAgeDays = options.maxBackupAgeDays ?? -1;
  const now = (options.now ?? new Date()).getTime() / 1000;
  const backups: StoredObject[][] = [];
  for (const object of objects) {
    if (object.snapshot.kind === 'Full') backups.push([object]);
    else backups.at(-1)?.push(object);
  }
  backups.sort((a, b) => b[0]!.snapshot.createdOn - a[0]!.snapshot.createdOn);
  const selected: StoredObject[] = [];
  let count = 0;
  for (const backup of backups) {
    if (maxBackups >= 0 && count === maxBackups) break;
    if (maxAgeDays >= 0 && backup[0]!.snapshot.createdOn <= now - maxAgeDays * SECONDS_PER_DAY) continue;
    selected.push(...backup);
    count++;
  }
  return selected;
}

/** Copies the source's backups into the target; see the file comment. */
export async function copyBackups(options: CopyOptions): Promise<CopyResult> {
  const { source, target, signal } = options;
  const log = options.logger ?? pino({ enabled: false });
  const parallel = options.maxParallelCopyOperations ?? DEFAULT_MAX_PARALLEL_COPY_OPERATIONS;
  checkOptions(options, parallel);
  const progress = new ProgressTracker(options.onProgress);

  progress.phase('listing');
  // Both stores are checked up front, so bad credentials fail now, not after waiting for a final snapshot.
  let sourceObjects = await listStore('source', source);
  let targetObjects = await listStore('target', target);
  signal?.throwIfAborted();

  let finalSnapshot: CopyResult['finalSnapshot'] = 'not-requested';
  if (options.waitForFinalSnapshot) {
    progress.phase('waiting-for-final');
    finalSnapshot = await waitForFinalSnapshot(source, sourceObjects, {
      timeoutMs: options.waitForFinalSnapshotTimeoutMs ?? 0,
      intervalMs: options.finalSnapshotCheckIntervalMs ?? FINAL_SNAPSHOT_CHECK_INTERVAL_MS,
      signal,
      log,
    });
    progress.finalSnapshot(finalSnapshot);
    progress.phase('listing');
    sourceObjects = await listStore('source', source);
    targetObjects = await listStore('target', target);
  }

  const selected = selectBackups(sourceObjects, {
    ...(options.maxBackupsToCopy !== undefined ? { maxBackupsToCopy: options.maxBackupsToCopy } : {}),
    ...(options.maxBackupAgeDays !== undefined ? { maxBackupAgeDays: options.maxBackupAgeDays } : {}),
    now: options.now?.() ?? new Date(),
  });
  const items = uniqueTargets(selected);
  if (sourceObjects.length === 0) log.warn({ source: source.location }, 'the source store holds no snapshots');
  const targetSizes = new Map(targetObjects.map((o) => [o.snapshot.name, o.size]));
  log.info(
    { source: source.location, target: target.location, objects: items.length, available: sourceObjects.length },
    'copying backups',
  );

  progress.start(items);
  const result: CopyResult = { copied: [], skipped: [], bytes: 0, finalSnapshot };
  const failures: Array<{ snapshot: string; error: Error }> = [];
  await runPool(items, parallel, signal, async (item) => {
    const started = Date.now();
    progress.current(item.object.snapshot.name);
    const report = (action: CopyObjectEvent['action'], bytes: number, error?: Error) =>
      options.onObject?.({
        source: item.object.snapshot,
        target: item.target,
        action,
        bytes,
        durationMs: Date.now() - started,
        ...(error ? { error } : {}),
      });
    try {
      const existingSize = targetSizes.get(item.target.name);
      if (existingSize === item.object.size && (await sameContent(source, target, item))) {
        log.info({ snapshot: item.object.snapshot.name }, 'skipping snapshot: the target holds it already');
        result.skipped.push(item.object.snapshot);
        progress.skipped(item.object.size);
        report('skipped', 0);
        return;
      }
      if (existingSize !== undefined) {
        log.warn(
          { snapshot: item.target.name, targetSize: existingSize, sourceSize: item.object.size },
          'replacing a different object of the same name in the target',
        );
      }
      const bytes = await copyObject(source, target, item, signal, (n) => progress.bytes(n));
      log.info({ snapshot: item.object.snapshot.name, target: item.target.name, bytes }, 'copied snapshot');
      result.copied.push(item.object.snapshot);
      result.bytes += bytes;
      progress.finished();
      report(existingSize === undefined ? 'copied' : 'replaced', bytes);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!signal?.aborted) log.error({ snapshot: item.object.snapshot.name, err: error }, 'copying snapshot failed');
      failures.push({ snapshot: item.object.snapshot.name, error });
      progress.finished();
      report('failed', 0, error);
    }
  });
  signal?.throwIfAborted();
  progress.phase('done');
  if (failures.length > 0) throw new CopyFailedError(failures, result);
  log.info({ copied: result.copied.length, skipped: result.skipped.length, bytes: result.bytes }, 'copied backups');
  return result;
}

/**
 * The source snapshots a copy of everything (no age or count limit) would put into the target
 * that the target does not hold with the same size and SHA-256: empty once such a copy is
 * complete. A store that cannot be read is a `BackupStoreError`.
 */
export async function findMissingCopies(source: Snapstore, target: Snapstore): Promise<Snapshot[]> {
  const items = uniqueTargets(selectBackups(await listStore('source', source)));
  const missing: Snapshot[] = [];
  for (const item of items) if (!(await sameContent(source, target, item))) missing.push(item.object.snapshot);
  return missing;
}

function checkOptions(options: CopyOptions, parallel: number): void {
  const atLeast = (what: string, value: number | undefined, min: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
    }
  };
  atLeast('maxBackupsToCopy', options.maxBackupsToCopy, -1);
  atLeast('maxBackupAgeDays', options.maxBackupAgeDays, -1);
  atLeast('maxParallelCopyOperations', parallel, 1);
  const timeout = options.waitForFinalSnapshotTimeoutMs;
  if (timeout !== undefined && !(timeout >= 0)) {
    throw new RangeError(`waitForFinalSnapshotTimeoutMs must be >= 0, got ${timeout}`);
  }
  const interval = options.finalSnapshotCheckIntervalMs;
  if (interval !== undefined && !(interval > 0)) {
    throw new RangeError(`finalSnapshotCheckIntervalMs must be > 0, got ${interval}`);
  }
}

async function listStore(role: 'source' | 'target', store: Snapstore): Promise<StoredObject[]> {
  try {
    return await store.list();
  } catch (err) {
    throw new BackupStoreError(role, store, err);
  }
}

/** Checks the source's newest full snapshots every `intervalMs` until one is final or the timeout passes. */
async function waitForFinalSnapshot(
  source: Snapstore,
  firstListing: StoredObject[],
  options: { timeoutMs: number; intervalMs: number; signal: AbortSignal | undefined; log: Logger },
): Promise<'found' | 'timed-out'> {
  const { timeoutMs, intervalMs, signal, log } = options;
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let listing: StoredObject[] | undefined = firstListing;
  log.info({ source: source.location, timeoutMs }, 'waiting for a final full snapshot');
  for (;;) {
    if (listing) {
      const final = listing
        .filter((o) => o.snapshot.kind === 'Full')
        .slice(-FINAL_SNAPSHOT_CANDIDATES)
        .find((o) => o.snapshot.isFinal);
      if (final) {
        log.info({ snapshot: final.snapshot.name }, 'found the final full snapshot');
        return 'found';
      }
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      log.warn({ source: source.location, timeoutMs }, 'timed out waiting for a final full snapshot; copying anyway');
      return 'timed-out';
    }
    await sleep(Math.min(intervalMs, remaining), undefined, signal ? { signal } : {}).catch(() => {
      signal?.throwIfAborted();
    });
    // A store that fails now and then while the source's etcd shuts down must not end the wait.
    listing = await source.list().catch((err: unknown) => {
      log.warn({ source: source.location, err }, 'listing the source failed while waiting for a final snapshot');
      return undefined;
    });
  }
}

/** One item per target name: a snapshot and its `.final` twin would otherwise race for the same object. */
function uniqueTargets(objects: StoredObject[]): CopyItem[] {
  const seen = new Set<string>();
  const items: CopyItem[] = [];
  for (const object of objects) {
    const target = withFinal(object.snapshot, false);
    if (seen.has(target.name)) continue;
    seen.add(target.name);
    items.push({ object, target });
  }
  return items;
}

/** Whether the target's object has the source object's size and SHA-256 (hashing whichever store keeps none). */
async function sameContent(source: Snapstore, target: Snapstore, item: CopyItem): Promise<boolean> {
  const [inSource, inTarget] = await Promise.all([
    digest(source, item.object.snapshot).catch((err: unknown) => {
      throw new BackupStoreError('source', source, err);
    }),
    digest(target, item.target).catch((err: unknown) => {
      throw new BackupStoreError('target', target, err);
    }),
  ]);
  return (
    inSource !== undefined &&
    inTarget !== undefined &&
    inSource.size === inTarget.size &&
    inSource.sha256 === inTarget.sha256
  );
}

async function digest(store: Snapstore, snapshot: Snapshot): Promise<{ size: number; sha256: string } | undefined> {
  const stat = await store.stat(snapshot);
  if (!stat) return undefined;
  if (stat.sha256) return { size: stat.size, sha256: stat.sha256 };
  const hash = createHash('sha256');
  let size = 0;
  await pipelineAsync(await store.fetch(snapshot), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { size, sha256: hash.digest('hex') };
}

/** Streams one object from source to target and verifies the target's copy; returns its size. */
async function copyObject(
  source: Snapstore,
  target: Snapstore,
  item: CopyItem,
  signal: AbortSignal | undefined,
  onBytes: (delta: number) => void,
): Promise<number> {
  let fetched: Readable;
  try {
    fetched = await source.fetch(item.object.snapshot);
  } catch (err) {
    throw new BackupStoreError('source', source, err);
  }
  let size = 0;
  let readError: unknown;
  // Until the target starts reading, nothing else listens: an early error must not go unhandled.
  fetched.once('error', (err) => {
    readError ??= err;
  });
  // Errors while reading the source are told apart from the target's (which also end the read).
  // The target hashes what it stores; hashing here too would cost a second pass over every byte.
  async function* counted(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of fetched as AsyncIterable<Buffer>) {
        size += chunk.length;
        onBytes(chunk.length);
        yield chunk;
      }
    } catch (err) {
      readError ??= err;
      throw err;
    }
  }
  let stored: StoredContent;
  try {
    stored = await target.save(item.target, Readable.from(counted(), { objectMode: false }), signal ? { signal } : {});
  } catch (err) {
    fetched.destroy();
    if (readError !== undefined && !signal?.aborted) {
      const why = readError instanceof Error ? readError.message : String(readError);
      throw new BackupStoreError('source', source, `reading ${item.object.snapshot.name} failed: ${why}`);
    }
    throw new BackupStoreError('target', target, err);
  }
  if (size !== item.object.size || stored.size !== size) {
    throw new BackupStoreError(
      'source',
      source,
      `${item.object.snapshot.name} was listed with ${item.object.size} bytes but ${size} were read and ${stored.size} stored`,
    );
  }
  // A source that records its objects' SHA-256 (S3 metadata, a local store's digest) is checked
  // against what arrived; the target's own record is read back, so a store that kept something
  // else than it was given is caught too.
  let inSource: { size: number; sha256?: string } | undefined;
  let saved: { size: number; sha256?: string } | undefined;
  try {
    inSource = await source.stat(item.object.snapshot, { recordedOnly: true });
  } catch (err) {
    throw new BackupStoreError('source', source, err);
  }
  try {
    saved = await target.stat(item.target);
  } catch (err) {
    throw new BackupStoreError('target', target, err);
  }
  const expected = inSource?.sha256 ?? stored.sha256;
  if (
    !saved ||
    saved.size !== size ||
    stored.sha256 !== expected ||
    (saved.sha256 !== undefined && saved.sha256 !== expected)
  ) {
    const found = saved ? `${saved.size} bytes, sha256 ${saved.sha256 ?? 'unknown'}` : 'nothing';
    throw new BackupStoreError(
      'target',
      target,
      `${item.target.name} does not match the source after the copy: expected ${size} bytes, sha256 ${expected}; stored ${stored.sha256}; found ${found}`,
    );
  }
  return size;
}

/** Runs `work` over `items`, `parallel` at a time, in order; stops starting new items once `signal` aborts. */
async function runPool<T>(
  items: readonly T[],
  parallel: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}

class ProgressTracker {
  readonly #onProgress: ((p: CopyProgress) => void) | undefined;
  readonly #state: CopyProgress = {
    phase: 'listing',
    totalObjects: 0,
    doneObjects: 0,
    skippedObjects: 0,
    totalBytes: 0,
    copiedBytes: 0,
    skippedBytes: 0,
  };

  constructor(onProgress: ((p: CopyProgress) => void) | undefined) {
    this.#onProgress = onProgress;
  }

  #emit(): void {
    this.#onProgress?.({ ...this.#state });
  }

  phase(phase: CopyProgress['phase']): void {
    this.#state.phase = phase;
    this.#emit();
  }

  finalSnapshot(outcome: 'found' | 'timed-out'): void {
    this.#state.finalSnapshot = outcome;
  }

  start(items: CopyItem[]): void {
    this.#state.phase = 'copying';
    this.#state.totalObjects = items.length;
    this.#state.totalBytes = items.reduce((sum, i) => sum + i.object.size, 0);
    this.#emit();
  }

  current(name: string): void {
    this.#state.current = name;
    this.#emit();
  }

  bytes(delta: number): void {
    this.#state.copiedBytes += delta;
    this.#emit();
  }

  skipped(size: number): void {
    this.#state.skippedObjects++;
    this.#state.skippedBytes += size;
    this.finished();
  }

  finished(): void {
    this.#state.doneObjects++;
    this.#emit();
  }
}
