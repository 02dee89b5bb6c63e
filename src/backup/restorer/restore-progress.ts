/**
 * The restore's progress in numbers, beside its text messages: bytes of snapshot objects fetched
 * of what the plan uses, and keys in the data dir of what the snapshots hold. A seed hands them on
 * to the garden (src/seed/gardenlet/restore-progress-reporter.ts), so that `transplant migrate`
 * can show how far a move's restore got and how fast it goes.
 *
 * The keys: the full snapshot's count is its database's entries as `etcdctl snapshot status`
 * counts them (`totalKey`: every revision of a key compaction kept, plus a few of etcd's own),
 * known once the snapshot is fetched and restored in one go by etcdctl; each delta adds its
 * events (one per put or delete), counted as its revisions are replayed, or found in the
 * database already.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RestoreProgress {
  /** Fetching and checking the objects; restoring the full snapshot (etcdctl); replaying deltas; done. */
  stage: 'fetching' | 'restoring' | 'replaying' | 'done';
  /** Bytes of the plan's objects fetched from the store so far, as stored (compressed or not). */
  fetchedBytes: number;
  /** The stored sizes of the full snapshot and the deltas the restore uses. */
  totalBytes: number;
  restoredKeys: number;
  /** The full snapshot's entries plus the deltas' events; undefined until the objects are fetched, or when etcdctl could not count. */
  totalKeys?: number;
}

export type RestoreProgressObserver = (progress: RestoreProgress) => void;

/** Keeps one restore's counters and reports a copy of them on every change. */
export class RestoreProgressTracker {
  readonly #observer: RestoreProgressObserver | undefined;
  readonly #state: RestoreProgress;
  /** The full snapshot's entries, added to the restored keys once etcdctl restored it. */
  #snapshotKeys = 0;

  constructor(totalBytes: number, observer: RestoreProgressObserver | undefined) {
    this.#observer = observer;
    this.#state = { stage: 'fetching', fetchedBytes: 0, totalBytes, restoredKeys: 0 };
    this.#emit();
  }

  /** Whether anyone listens: counting the snapshot's keys costs a read of it, done only then. */
  get observed(): boolean {
    return this.#observer !== undefined;
  }

  fetched(bytes: number): void {
    this.#state.fetchedBytes += bytes;
    this.#emit();
  }

  /** Everything fetched: the keys to restore are known (undefined: the snapshot's could not be counted). */
  restoring(snapshotKeys: number | undefined, deltaEvents: number): void {
    this.#state.stage = 'restoring';
    if (snapshotKeys !== undefined) this.#state.totalKeys = snapshotKeys + deltaEvents;
    this.#snapshotKeys = snapshotKeys ?? 0;
    this.#emit();
  }

  /** etcdctl restored the full snapshot: its keys are in the data dir. */
  snapshotRestored(): void {
    this.#state.stage = 'replaying';
    this.#state.restoredKeys += this.#snapshotKeys;
    this.#emit();
  }

  /** `events` of a delta are in the data dir: replayed, or held by the snapshot already. */
  eventsReplayed(events: number): void {
    this.#state.restoredKeys += events;
    this.#emit();
  }

  done(): void {
    this.#state.stage = 'done';
    this.#emit();
  }

  #emit(): void {
    this.#observer?.({ ...this.#state });
  }
}

/**
 * The entries of the bolt database in `snapshotFile` (an etcd snapshot, its SHA-256 appended or
 * not), as `etcdctl snapshot status -w json` counts them; undefined when etcdctl cannot tell.
 */
export async function snapshotKeyCount(etcdctl: string, snapshotFile: string): Promise<number | undefined> {
  try {
    const { stdout } = await execFileAsync(etcdctl, ['snapshot', 'status', snapshotFile, '-w', 'json'], {
      env: { ...process.env, ETCDCTL_API: '3' },
      maxBuffer: 1024 * 1024,
    });
    const totalKey = (JSON.parse(stdout) as { totalKey?: unknown }).totalKey;
    return typeof totalKey === 'number' && Number.isInteger(totalKey) && totalKey >= 0 ? totalKey : undefined;
  } catch {
    return undefined;
  }
}
