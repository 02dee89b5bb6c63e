/**
 * Appends audit lines to a file without making a request wait on the disk: lines are buffered
 * and written in batches by one writer at a time; `close` writes what is buffered, so a clean
 * stop loses none. The file is created 0600 in a directory created 0700 (its lines name every
 * user and object). With `maxSizeMegabytes`, a full file is renamed `<name>-<timestamp><ext>`
 * and a new one started, keeping `maxBackups` old files (kube-apiserver's `--audit-log-maxsize`
 * and `--audit-log-maxbackup`).
 */
import { type FileHandle, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

export interface AuditFileOptions {
  path: string;
  /** Rotate when the file reaches this size; 0: never. */
  maxSizeMegabytes?: number;
  /** How many rotated files to keep; 0: all. */
  maxBackups?: number;
  /** How long a line may wait to be batched with others; default 50 ms. */
  batchDelayMs?: number;
  /** Called when a write fails or lines are dropped (a full buffer); the writer keeps going. */
  onError?: (err: Error) => void;
}

/** Lines buffered beyond this are dropped and reported: a stuck disk must not exhaust memory. */
const maxBufferedBytes = 64 * 1024 * 1024;

export class AuditFileWriter {
  readonly #options: AuditFileOptions;
  #file: FileHandle | undefined;
  #size = 0;
  #buffer: string[] = [];
  #bufferedBytes = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The batch being written, if one is. */
  #writing: Promise<void> | undefined;
  #closed = false;

  private constructor(options: AuditFileOptions) {
    this.#options = { ...options };
  }

  static async open(options: AuditFileOptions): Promise<AuditFileWriter> {
    const writer = new AuditFileWriter(options);
    await writer.#openFile();
    return writer;
  }

  get path(): string {
    return this.#options.path;
  }

  /** Queues one line (a newline is added). Never waits; lines after `close` are ignored. */
  write(line: string): void {
    if (this.#closed) return;
    if (this.#bufferedBytes > maxBufferedBytes) {
      this.#dropped++;
      return;
    }
    this.#buffer.push(`${line}\n`);
    this.#bufferedBytes += line.length + 1;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#options.batchDelayMs ?? 50);
  }

  /** Resolves once every line queued so far is in the file. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer.join('');
    this.#buffer = [];
    this.#bufferedBytes = 0;
    this.#writing = this.#append(batch).finally(() => {
      this.#writing = undefined;
    });
    await this.#writing;
  }

  /** Writes what is buffered and closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
    await this.#file?.close();
    this.#file = undefined;
  }

  async #append(batch: string): Promise<void> {
    try {
      if (this.#dropped > 0) {
        this.#options.onError?.(new Error(`audit log ${this.path}: ${this.#dropped} events dropped (buffer full)`));
        this.#dropped = 0;
      }
      const bytes = Buffer.from(batch);
      await this.#file!.write(bytes);
      this.#size += bytes.length;
      const max = (this.#options.maxSizeMegabytes ?? 0) * 1024 * 1024;
      if (max > 0 && this.#size >= max) await this.#rotate();
    } catch (err) {
      this.#options.onError?.(err as Error);
    }
  }

  async #openFile(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    this.#file = await open(this.path, 'a', 0o600);
    // An existing file keeps its mode on open: it gets 0600 too.
    await this.#file.chmod(0o600);
    this.#size = (await this.#file.stat()).size;
  }

  async #rotate(): Promise<void> {
    await this.#file!.close();
    const { dir, stem, ext } = nameParts(this.path);
    const stamp = new Date().toISOString().replaceAll(':', '-');
    await rename(this.path, join(dir, `${stem}-${stamp}${ext}`));
    await this.#openFile();
    const keep = this.#options.maxBackups ?? 0;
    if (keep <= 0) return;
    const backups = (await readdir(dir))
      .filter((f) => f.startsWith(`${stem}-`) && f.endsWith(ext) && /\d{4}-\d\d-\d\dT/.test(f))
      .sort();
    for (const old of backups.slice(0, Math.max(0, backups.length - keep))) await rm(join(dir, old), { force: true });
  }
}

function nameParts(path: string): { dir: string; stem: string; ext: string } {
  const ext = extname(path);
  return { dir: dirname(path), stem: basename(path, ext), ext };
}
