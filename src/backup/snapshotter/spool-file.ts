/**
 * A temp file written once, front to back, that one reader follows while it grows: a snapshot is
 * spooled from etcd at disk speed (etcd's read transaction is not held open by a slow store),
 * while the upload trails behind it instead of starting only once the spool is complete.
 *
 * The reader only ever ends after `seal()`: a store that commits an object on the end of its
 * input never commits one whose content was not approved. After `fail(err)` the reader fails
 * with `err`, so the store's save fails and keeps nothing.
 */
import { type FileHandle, open, rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';

/** Bytes the reader takes from the file per read. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Bytes gathered while a write is under way before the writer holds its source back. */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

export class SpoolFile {
  readonly path: string;
  readonly #handle: FileHandle;
  #written = 0;
  #state: 'writing' | 'sealed' | 'failed' = 'writing';
  #error: Error | undefined;
  #waiters: (() => void)[] = [];

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /** Creates the file (which must not exist), readable by the owner only. */
  static async create(path: string): Promise<SpoolFile> {
    return new SpoolFile(path, await open(path, 'wx+', 0o600));
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#written;
  }

  /** Appends what is written to it. */
  writable(): Writable {
    const append = (data: Buffer[], callback: (err?: Error | null) => void) => {
      this.#appendAll(data).then(() => callback(), callback);
    };
    return new Writable({
      // etcd sends 32 KiB messages: while one write is under way the next ones gather, and go
      // to the file in one writev (no copy into one buffer).
      highWaterMark: WRITE_BUFFER_BYTES,
      write: (chunk: Buffer, _encoding, callback) => append([chunk], callback),
      writev: (chunks, callback) =>
        append(
          chunks.map(({ chunk }) => chunk as Buffer),
          callback,
        ),
    });
  }

  /** Writes `buffers` at the end, all of them (a short write continues with the rest). */
  async #appendAll(buffers: Buffer[]): Promise<void> {
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.#handle.writev(pending, this.#written);
      this.#written += bytesWritten;
      this.#wake();
      pending = dropBytes(pending, bytesWritten);
    }
  }

  /** The content is complete and approved: the reader ends once it has read it all. */
  seal(): void {
    if (this.#state !== 'writing') return;
    this.#state = 'sealed';
    this.#wake();
  }

  /** The content is not to be used: the reader fails with `err`. */
  fail(err: Error): void {
    if (this.#state !== 'writing') return;
    this.#state = 'failed';
    this.#error = err;
    this.#wake();
  }

  /** The file's content from the start, following it as it grows (see the file comment). */
  reader(): Readable {
    let position = 0;
    let wanted = false;
    let pumping = false;
    const readable = new Readable({
      read: () => {
        wanted = true;
        if (!pumping) void pump();
      },
    });
    const pump = async (): Promise<void> => {
      pumping = true;
      try {
        while (wanted && !readable.destroyed) {
          if (position < this.#written) {
            const length = Math.min(READ_CHUNK_BYTES, this.#written - position);
            const buffer = Buffer.allocUnsafe(length);
            const { bytesRead } = await this.#handle.read(buffer, 0, length, position);
            position += bytesRead;
            if (!readable.push(buffer.subarray(0, bytesRead))) wanted = false;
          } else if (this.#state === 'sealed') {
            readable.push(null);
            return;
          } else if (this.#state === 'failed') {
            readable.destroy(this.#error);
            return;
          } else {
            await new Promise<void>((resolve) => this.#waiters.push(resolve));
          }
        }
      } catch (err) {
        readable.destroy(err as Error);
      } finally {
        pumping = false;
      }
    };
    return readable;
  }

  /** Closes and deletes the file. */
  async remove(): Promise<void> {
    this.fail(new Error('the spool file was removed'));
    await this.#handle.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** `buffers` without their first `count` bytes. */
function dropBytes(buffers: Buffer[], count: number): Buffer[] {
  let skip = count;
  let index = 0;
  while (index < buffers.length && skip >= buffers[index]!.length) skip -= buffers[index++]!.length;
  const rest = buffers.slice(index);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}
