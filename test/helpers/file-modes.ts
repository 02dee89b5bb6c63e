/** File-mode checks for state directories (docs/security.md, "File modes"). */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `dir` and every path under it with a group or other permission bit, as `<octal mode> <path>`;
 * symbolic links are skipped (their mode is not used), paths gone during the walk too.
 */
export async function groupOrOtherAccessible(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const stats = await lstat(path).catch(() => undefined);
    if (!stats || stats.isSymbolicLink()) return;
    if (stats.mode & 0o077) found.push(`${(stats.mode & 0o777).toString(8)} ${path}`);
    if (!stats.isDirectory()) return;
    for (const entry of await readdir(path).catch(() => [] as string[])) await walk(join(path, entry));
  };
  await walk(dir);
  return found;
}
