/**
 * Removes a directory tree without one burst of freed blocks. On a file system mounted with
 * `discard` (this machine's ext4 root is), the blocks of a deleted file are discarded when the
 * journal commits, inside that commit: removing a stopped etcd member's 500 MB database held the
 * commit, and with it every fsync of every other process on the disk (the serving etcd member's
 * WAL included), for 160 ms at a time. So each file larger than a slice is first shortened a slice
 * at a time, each followed by a data sync, so that each commit frees at most one slice; then the
 * tree is removed. A crash half way leaves a shorter file of data that was being deleted anyway,
 * and the removal runs again.
 */
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** How much of a file one journal commit frees at most (a discard of this size takes a few ms). */
export const REMOVAL_SLICE_BYTES = 32 * 1024 * 1024;

/** What shortening a file needs of its handle (a `FileHandle`; a recorder in tests). */
export interface Shortenable {
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
}

/** Shortens a file of `size` bytes to nothing, `sliceBytes` at a time, syncing after each cut. */
export async function shortenInSlices(file: Shortenable, size: number, sliceBytes: number): Promise<void> {
  for (let length = size - sliceBytes; length > 0; length -= sliceBytes) {
    await file.truncate(length);
    await file.datasync();
  }
  await file.truncate(0);
  await file.datasync();
}

/** Removes `dir` and everything under it (nothing when it does not exist), large files a slice at a time. */
export async function removeTreeGradually(dir: string, sliceBytes = REMOVAL_SLICE_BYTES): Promise<void> {
  for (const file of await largeFiles(dir, sliceBytes)) {
    const handle = await open(file.path, 'r+').catch(() => undefined);
    if (!handle) continue;
    try {
      await shortenInSlices(handle, file.size, sliceBytes);
    } finally {
      await handle.close();
    }
  }
  await rm(dir, { recursive: true, force: true });
}

/** The regular files under `dir` larger than `sliceBytes`; none when `dir` is gone. */
async function largeFiles(dir: string, sliceBytes: number): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const found: { path: string; size: number }[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (size > sliceBytes) found.push({ path, size });
  }
  return found;
}
