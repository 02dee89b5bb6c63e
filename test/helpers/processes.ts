/**
 * Waiting and process checks for tests that drive real processes (landscapes, seeds, etcd).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `read` until it returns something other than undefined (errors count as "not yet"). */
export async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `eventually` for a condition. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await eventually(async () => ((await check()) ? true : undefined), timeoutMs, what);
}

/** Every etcd process whose command line names a path below `dir`. */
export async function etcdPidsUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('/usr/bin/etcd') && cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}
