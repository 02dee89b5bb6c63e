/**
 * A file written front to back and made durable as it grows: `fdatasync` after every
 * `syncEveryBytes` written, `fsync` at the end, the file closed when the stream ends or fails.
 *
 * Why not one fsync at the end: a file written whole and synced once has all of it dirty at
 * that moment, and on ext4 (data=ordered) every other fsync of the file system waits until all
 * of it is on disk, etcd's write-ahead log among them. A 29 MB backup delta saved by a seed held
 * every write of a shoot on the same disk for 330 ms (docs/live-migration.md, "Where the pauses
 * come from"); synced in slices, no fsync of anyone else waits for more than one slice.
 */
import { Writable } from 'node:stream';

/** What the writer needs of an open file (a `FileHandle` of `node:fs/promises`). */
export interface SyncableFile {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Slice after which a writer syncs unless told otherwise: 4 MiB, a few ms of a disk's time. */
export const SYNC_EVERY_BYTES = 4 * 1024 * 1024;

export function syncedFileWriter(file: SyncableFile, syncEveryBytes: number = SYNC_EVERY_BYTES): Writable {
  let unsynced = 0;
  return new Writable({
    async write(chunk: Buffer, _encoding, callback) {
      try {
        // A chunk larger than a slice (a whole object handed over as one Buffer) is cut into slices.
        for (let offset = 0; offset < chunk.length; ) {
          const length = Math.min(chunk.length - offset, syncEveryBytes - unsynced);
          const { bytesWritten } = await file.write(chunk, offset, length);
          offset += bytesWritten;
          unsynced += bytesWritten;
          if (unsynced >= syncEveryBytes) {
            await file.datasync();
            unsynced = 0;
          }
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    async final(callback) {
      try {
        await file.sync();
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    destroy(err, callback) {
      file.close().then(
        () => callback(err),
        (closeErr: Error) => callback(err ?? closeErr),
      );
    },
  });
}
