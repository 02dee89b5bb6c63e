import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { removeTreeGradually, shortenInSlices } from '../../src/streams/gradual-removal.js';

describe('gradual removal', () => {
  it('shortens a file a slice at a time, syncing after each cut', async () => {
    const calls: string[] = [];
    const recorder = {
      truncate: async (length: number) => {
        calls.push(`truncate ${length}`);
      },
      datasync: async () => {
        calls.push('datasync');
      },
    };
    await shortenInSlices(recorder, 10, 4);
    assert.deepEqual(calls, ['truncate 6', 'datasync', 'truncate 2', 'datasync', 'truncate 0', 'datasync']);
  });

  it('removes a tree with large and small files and nested directories; a missing one is no error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'transplant-removal-'));
    try {
      const tree = join(dir, 'etcd-main');
      await mkdir(join(tree, 'member', 'wal'), { recursive: true });
      await writeFile(join(tree, 'member', 'db'), Buffer.alloc(5 * 1024 * 1024 + 7, 1));
      await writeFile(join(tree, 'member', 'wal', '0.wal'), Buffer.alloc(3 * 1024 * 1024, 2));
      await writeFile(join(tree, 'small'), 'x');
      await removeTreeGradually(tree, 1024 * 1024);
      assert.equal(existsSync(tree), false);
      assert.equal(existsSync(dir), true, 'the parent stays');
      await removeTreeGradually(tree, 1024 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
