/**
 * A learner's disk writes, limited. A member that joins a running cluster writes everything the
 * leader sends it twice, to its write-ahead log and to its database, as fast as it arrives, and
 * syncs both in batches of up to 100 MB. Where it shares a disk with the members that serve (a
 * live migration on one host, a member re-joining after it lost its data), their log syncs waited
 * behind those batches for 100–230 ms, and with them every write and every read of the cluster
 * (bench/etcd-learner-disk.ts). Limited to `LEARNER_WRITE_BYTES_PER_SECOND`, the learner writes in
 * smaller, steadier steps and the serving members' syncs go on beside it; its catch-up takes
 * longer (bench/README.md).
 *
 * The limit is the kernel's block-IO throttle of a control group of the learner's own: cgroup v1's
 * `blkio.throttle.write_bps_device`, or cgroup v2's `io.max` (`wbps`), on the disk that holds the
 * data directory. The process starts inside the group (it is there before the leader sends a byte),
 * and leaves it, back to the root group, once it votes; the group is removed then, and empty
 * groups of members gone are removed at the next launch. Only root changes control groups; without
 * root, a block device or a throttling controller, the learner runs unlimited.
 */

import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';

/** What a learner may write per second to the disk of its data directory. */
export const LEARNER_WRITE_BYTES_PER_SECOND = 160 * 1024 * 1024;

/** The directory, under the controller's hierarchy, of the learners' groups. */
const GROUP_PARENT = 'transplant-learners';

/** A hierarchy that can throttle writes: where it is mounted, and how it says a limit. */
export interface Throttler {
  root: string;
  version: 1 | 2;
}

/** cgroup v1's blkio controller, else a cgroup v2 hierarchy offering `io`; undefined when neither. */
export function findThrottler(cgroupFs = '/sys/fs/cgroup'): Throttler | undefined {
  const v1 = join(cgroupFs, 'blkio');
  if (existsSync(join(v1, 'blkio.throttle.write_bps_device'))) return { root: v1, version: 1 };
  for (const root of [cgroupFs, join(cgroupFs, 'unified')]) {
    const controllers = readIfExists(join(root, 'cgroup.controllers'));
    if (controllers?.split(/\s+/).includes('io')) return { root, version: 2 };
  }
  return undefined;
}

/**
 * The whole disk (`major:minor`) holding `path` (or its nearest existing ancestor): a partition's
 * writes are throttled at its disk. Undefined for a file system without a block device (tmpfs,
 * overlay), where nothing is limited.
 */
export function diskOf(path: string): string | undefined {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const dev = statSync(existing, { bigint: true }).dev;
  // glibc's dev_t layout (gnu_dev_major / gnu_dev_minor).
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (!existsSync(sys)) return undefined;
  if (!existsSync(join(sys, 'partition'))) return `${major}:${minor}`;
  return readFileSync(join(realpathSync(sys), '..', 'dev'), 'utf8').trim();
}

/**
 * The launch of a learner whose data directory is `dataDir`: `argv` started inside a group of its
 * own limited to `bytesPerSecond` of writes on that directory's disk. Undefined when nothing can
 * be limited here (see the module comment).
 */
export function limitedWritesLaunch(
  dataDir: string,
  log: Logger,
  bytesPerSecond = LEARNER_WRITE_BYTES_PER_SECOND,
  throttler: Throttler | null = process.getuid?.() === 0 ? (findThrottler() ?? null) : null,
): ((argv: string[]) => string[]) | undefined {
  if (!throttler) return undefined;
  const disk = diskOf(dataDir);
  if (!disk) return undefined;
  try {
    const parent = join(throttler.root, GROUP_PARENT);
    removeEmptyGroups(parent);
    mkdirSync(parent, { recursive: true });
    if (throttler.version === 2) writeFileSync(join(parent, 'cgroup.subtree_control'), '+io');
    const group = join(parent, createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
    mkdirSync(group, { recursive: true });
    if (throttler.version === 1)
      writeFileSync(join(group, 'blkio.throttle.write_bps_device'), `${disk} ${bytesPerSecond}`);
    else writeFileSync(join(group, 'io.max'), `${disk} wbps=${bytesPerSecond}`);
    // The shell joins the group, then becomes the member: no write of it is ever outside.
    return (argv) => ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', join(group, 'cgroup.procs'), ...argv];
  } catch (err) {
    log.warn({ dataDir, err: (err as Error).message }, 'could not limit the learner’s disk writes; it runs unlimited');
    return undefined;
  }
}

/**
 * Moves process `pid` out of its learner group, if it is in one, back to the root group, and
 * removes the group; whether it did. Never throws: a process that is gone leaves an empty group
 * the next launch removes.
 */
export function releaseWriteLimit(pid: number, log?: Logger, throttler = findThrottler()): boolean {
  if (!throttler) return false;
  const group = learnerGroupOf(pid, throttler);
  if (!group) return false;
  try {
    writeFileSync(join(throttler.root, 'cgroup.procs'), String(pid));
    rmdirSync(join(throttler.root, group));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'ENOENT') {
      log?.warn({ pid, err: (err as Error).message }, 'could not lift the member’s disk write limit');
    }
    return false;
  }
}

/** The group of `pid` under `GROUP_PARENT` in `throttler`'s hierarchy (`/proc/<pid>/cgroup`), if any. */
function learnerGroupOf(pid: number, throttler: Throttler): string | undefined {
  const lines = readIfExists(`/proc/${pid}/cgroup`)?.split('\n') ?? [];
  for (const line of lines) {
    const [, controllers, path] = line.split(':', 3) as [string, string | undefined, string | undefined];
    const mine = throttler.version === 1 ? controllers?.split(',').includes('blkio') : controllers === '';
    if (mine && path?.startsWith(`/${GROUP_PARENT}/`)) return path.slice(1);
  }
  return undefined;
}

/**
 * Removes the groups under `parent` no process is in any more (rmdir refuses the others) that
 * are older than a minute: a younger one may be another launch's, its process not in it yet.
 */
function removeEmptyGroups(parent: string): void {
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const group = join(parent, entry.name);
    try {
      if (Date.now() - statSync(group).ctimeMs < 60_000) continue;
      rmdirSync(group);
    } catch {
      // In use, or removed meanwhile.
    }
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
