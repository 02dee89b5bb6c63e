/**
 * A learner's disk writes are limited by a control group of its own until it votes
 * (src/seed/druid/learner-write-limit.ts), on real processes and this machine's cgroup hierarchy:
 * the writes of a process launched through it are counted by its group's throttle, and the
 * release puts it back in the root group and removes the group.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import {
  diskOf,
  findThrottler,
  limitedWritesLaunch,
  releaseWriteLimit,
} from '../../src/seed/druid/learner-write-limit.js';

const log = pino({ level: 'silent' });
const throttler = findThrottler();
const dataDir = mkdtempSync(join(tmpdir(), 'learner-write-limit-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** The `major:minor` of the mount holding `/`, from /proc/self/mountinfo. */
function rootMountDevice(): string {
  const line = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === '/');
  return line!.split(' ')[2]!;
}

/** The group of `pid` in the throttler's hierarchy, from /proc/<pid>/cgroup. */
function groupOf(pid: number): string | undefined {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, path] = line.split(':');
    if (throttler?.version === 1 ? controllers?.split(',').includes('blkio') : controllers === '') return path;
  }
  return undefined;
}

/** Bytes the group at `group` counted as written to `disk` (v1 io_service_bytes, v2 io.stat). */
function writtenBytes(group: string, disk: string): number {
  if (throttler?.version === 1) {
    const line = readFileSync(join(group, 'blkio.throttle.io_service_bytes'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${disk} Write `));
    return Number(line?.split(' ')[2] ?? 0);
  }
  const line = readFileSync(join(group, 'io.stat'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${disk} `));
  return Number(/wbytes=(\d+)/.exec(line ?? '')?.[1] ?? 0);
}

describe("a learner's disk writes", () => {
  it('are limited on the whole disk that holds the data directory, none on tmpfs', () => {
    const disk = diskOf(dataDir);
    if (existsSync(`/sys/dev/block/${rootMountDevice()}`) && statSync(dataDir).dev === statSync('/').dev) {
      assert.equal(disk, rootMountDevice());
    }
    assert.equal(diskOf(join(dataDir, 'not', 'made', 'yet')), disk, 'a directory still to be made: its parent’s disk');
    if (existsSync('/dev/shm')) assert.equal(diskOf('/dev/shm'), undefined);
  });

  it('are not limited where nothing can limit them', () => {
    assert.equal(limitedWritesLaunch(dataDir, log, 1024 * 1024, null), undefined);
  });

  const disk = diskOf(dataDir);
  const skip =
    process.getuid?.() !== 0
      ? 'needs root (control groups)'
      : !throttler
        ? 'no block-IO throttle here (cgroup v1 blkio or v2 io)'
        : !disk && 'the data directory is on no block device';

  it('go through the learner’s own group from its first instruction, until the release', { skip }, async () => {
    const wrap = limitedWritesLaunch(dataDir, log, 64 * 1024 * 1024)!;
    assert.ok(wrap, 'a launch that limits');
    const file = join(dataDir, 'written');
    const argv = wrap([
      '/bin/sh',
      '-c',
      `dd if=/dev/zero of=${file} bs=1M count=4 conv=fsync status=none; exec sleep 30`,
    ]);
    const learner = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    let groupDir: string | undefined;
    try {
      await once(learner, 'spawn');
      // The shell joins the group before it becomes the writer.
      for (let i = 0; i < 100 && groupOf(learner.pid!) === '/'; i += 1) await sleep(20);
      const group = groupOf(learner.pid!);
      assert.match(group ?? '', /^\/transplant-learners\/[0-9a-f]{16}$/);
      groupDir = join(throttler!.root, group!);
      const limit = readFileSync(
        join(groupDir, throttler!.version === 1 ? 'blkio.throttle.write_bps_device' : 'io.max'),
        'utf8',
      );
      assert.match(limit, new RegExp(`^${disk}\\s.*${64 * 1024 * 1024}`));
      // dd has synced and exited once the shell became `sleep`: nothing of it is left in the group.
      const command = () => readFileSync(`/proc/${learner.pid}/cmdline`, 'utf8').split('\0')[0];
      for (let i = 0; i < 200 && command() !== 'sleep'; i += 1) await sleep(50);
      assert.equal(command(), 'sleep', 'dd is done');
      assert.ok(
        writtenBytes(groupDir, disk!) >= 4 * 1024 * 1024,
        'the synced 4 MiB were counted by the group’s throttle',
      );

      releaseWriteLimit(learner.pid!, log);
      assert.equal(groupOf(learner.pid!), '/', 'back in the root group');
      assert.equal(existsSync(groupDir), false, 'the group is removed');
      releaseWriteLimit(learner.pid!, log);
      assert.equal(groupOf(learner.pid!), '/', 'a second release changes nothing');
    } finally {
      releaseWriteLimit(learner.pid!, log);
      if (learner.exitCode === null && learner.signalCode === null) {
        learner.kill('SIGKILL');
        await once(learner, 'exit');
      }
      if (groupDir && existsSync(groupDir)) rmdirSync(groupDir);
    }
  });
});
