/**
 * The copier's progress as `onProgress` sees it: a snapshot of the counters after every change
 * (phase, objects and bytes done), which the CLI draws as a bar or as lines.
 */
import type { CopyItem } from './copy-selection.js';

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

/** Keeps the counters of one copy and reports a copy of them on every change. */
export class ProgressTracker {
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
