/**
 * A network namespace of a test's own, as a host: `lo` up, its resolver pointed at
 * `nameserver 127.0.0.1` (`/etc/netns/<ns>/resolv.conf`, which `ip netns exec` mounts over
 * /etc/resolv.conf), and a cleanup that kills every process left inside, deletes the namespace and
 * the resolver file, whatever state the test left them in.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (ip netns add)';
  for (const tool of ['/usr/sbin/ip', '/usr/sbin/knotd', '/usr/bin/kdig']) {
    if (!existsSync(tool) && !existsSync(tool.replace('/usr/sbin/', '/sbin/'))) return `needs ${tool} (make setup)`;
  }
  return undefined;
}

export interface TestNetns {
  name: string;
  /** `argv` run inside the namespace. */
  wrap(argv: string[]): string[];
  cleanup(): Promise<void>;
}

export async function createTestNetns(prefix: string): Promise<TestNetns> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const etcDir = `/etc/netns/${name}`;
  const cleanup = async () => {
    const { stdout } = await run('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    await rm(etcDir, { recursive: true, force: true });
  };
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    await mkdir(etcDir, { recursive: true });
    await writeFile(`${etcDir}/resolv.conf`, 'nameserver 127.0.0.1\n');
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { name, wrap: (argv) => ['ip', 'netns', 'exec', name, ...argv], cleanup };
}
