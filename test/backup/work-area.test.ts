/**
 * A restore's work dir: those left by a killed restore are cleaned up by the next one, including
 * the temporary etcd that outlived its parent (it would otherwise keep running, and on tmpfs its
 * data would hold memory until the next reboot).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeWorkDir } from '../../src/backup/restorer/work-area.js';
import { startEtcd } from '../../src/process/etcd-process.js';
import { isProcessAlive } from '../../src/process/processes.js';
import { eventually } from '../helpers/processes.js';

async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('restore work dirs', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('removes the work dir of a dead restore and stops the etcd still serving data in it', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'work-area-'));
    dirs.push(parent);
    const stale = join(parent, `etcd-restore-${await deadPid()}-abc`);
    await mkdir(stale);
    const orphan = await startEtcd({ name: 'orphan', dataDir: join(stale, 'data'), confDir: join(stale, 'conf') });
    try {
      const fresh = await makeWorkDir(parent);
      assert.ok(fresh.startsWith(join(parent, `etcd-restore-${process.pid}-`)));
      await eventually(async () => (isProcessAlive(orphan.pid) ? undefined : true), 5000, 'the orphan etcd is stopped');
      assert.equal(existsSync(stale), false, 'the stale work dir is gone');
      assert.equal(existsSync(fresh), true);
    } finally {
      await orphan.stop();
    }
  });

  it('keeps the work dir of a restore that is still running', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'work-area-'));
    dirs.push(parent);
    const live = join(parent, `etcd-restore-${process.ppid}-abc`);
    await mkdir(live);
    await makeWorkDir(parent);
    assert.equal(existsSync(live), true);
  });
});
