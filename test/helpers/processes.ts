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

/**
 * Polls `read` until it returns something other than undefined (errors count as "not yet"): every
 * 250 ms at first, less often the longer it waits, up to once a second. Many reads start a
 * kubectl, a quarter of a CPU second each: polled 4 times a second through a wait of minutes, they
 * would take the two cores from the landscapes under test.
 */
export async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let intervalMs = 250;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
    intervalMs = Math.min(1000, intervalMs * 1.25);
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
