/**
 * Whether an etcd data dir can be started on, checked cheaply before every etcd start (so it
 * reads a few bytes, never the database): the layout etcd writes (`member/snap/db`,
 * `member/wal/*.wal`) and the bolt database's magic number.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export type DataDirStatus = 'valid' | 'missing' | 'empty' | 'invalid';

/** bolt's meta page: a 16-byte page header, then the meta whose first field is this magic (little-endian). */
const BOLT_MAGIC = 0xed0cdaed;
const BOLT_MAGIC_OFFSET = 16;

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * `missing`: no such directory. `empty`: a directory without `member/` (etcd starts a new member
 * there). `invalid`: `member/` exists but the database or the WAL is missing, empty or unreadable;
 * `reason` says which. `valid`: both are there.
 */
export async function dataDirStatus(dataDir: string): Promise<{ status: DataDirStatus; reason?: string }> {
  let entries: string[];
  try {
    const info = await stat(dataDir);
    if (!info.isDirectory()) return { status: 'invalid', reason: `${dataDir} is not a directory` };
    entries = await readdir(dataDir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { status: 'missing' };
    return { status: 'invalid', reason: `${dataDir} cannot be read: ${(err as Error).message}` };
  }
  if (!entries.includes('member')) return { status: 'empty' };
  const dbProblem = await boltDatabaseProblem(path.join(dataDir, 'member', 'snap', 'db'));
  if (dbProblem) return { status: 'invalid', reason: dbProblem };
  const walProblem = await walProblemIn(path.join(dataDir, 'member', 'wal'));
  if (walProblem) return { status: 'invalid', reason: walProblem };
  return { status: 'valid' };
}

async function boltDatabaseProblem(file: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return errnoCode(err) === 'ENOENT' ? `${file} is missing` : `${file} cannot be read: ${(err as Error).message}`;
  }
  try {
    const header = Buffer.alloc(BOLT_MAGIC_OFFSET + 4);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    if (bytesRead < header.length || header.readUInt32LE(BOLT_MAGIC_OFFSET) !== BOLT_MAGIC) {
      return `${file} is not a bolt database`;
    }
    return undefined;
  } catch (err) {
    return `${file} cannot be read: ${(err as Error).message}`;
  } finally {
    await handle.close();
  }
}

async function walProblemIn(walDir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(walDir);
  } catch (err) {
    return errnoCode(err) === 'ENOENT' ? `${walDir} is missing` : `${walDir} cannot be read: ${(err as Error).message}`;
  }
  for (const name of names.filter((n) => n.endsWith('.wal'))) {
    const info = await stat(path.join(walDir, name)).catch(() => undefined);
    if (info?.isFile() && info.size > 0) return undefined;
  }
  return `${walDir} holds no WAL file`;
}
