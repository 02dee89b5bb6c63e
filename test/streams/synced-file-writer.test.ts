import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { type SyncableFile, syncedFileWriter } from '../../src/streams/synced-file-writer.js';

/** A file that records what was asked of it: `w<bytes>`, `datasync`, `sync`, `close`. */
function recordingFile(options: { failWrite?: boolean; shortWrites?: boolean } = {}) {
  const ops: string[] = [];
  const file: SyncableFile = {
    async write(_buffer, _offset, length) {
      if (options.failWrite) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      const bytesWritten = options.shortWrites ? Math.min(length, 3) : length;
      ops.push(`w${bytesWritten}`);
      return { bytesWritten };
    },
    datasync: async () => {
      ops.push('datasync');
    },
    sync: async () => {
      ops.push('sync');
    },
    close: async () => {
      ops.push('close');
    },
  };
  return { ops, file };
}

/** The most bytes written between two syncs. */
function mostUnsynced(ops: string[]): number {
  let most = 0;
  let unsynced = 0;
  for (const op of ops) {
    if (op.startsWith('w')) unsynced += Number(op.slice(1));
    else unsynced = 0;
    most = Math.max(most, unsynced);
  }
  return most;
}

describe('a file synced as it grows', () => {
  it('syncs after every slice, also inside one chunk larger than many slices, then fsyncs and closes', async () => {
    const { ops, file } = recordingFile();
    await pipeline(Readable.from([Buffer.alloc(10), Buffer.alloc(95), Buffer.alloc(7)]), syncedFileWriter(file, 16));
    assert.equal(mostUnsynced(ops), 16);
    assert.equal(ops.filter((op) => op === 'datasync').length, Math.floor(112 / 16));
    assert.deepEqual(ops.slice(-2), ['sync', 'close']);
  });

  it('writes what a short write left over before it goes on', async () => {
    const { ops, file } = recordingFile({ shortWrites: true });
    await pipeline(Readable.from([Buffer.alloc(10)]), syncedFileWriter(file, 4));
    assert.deepEqual(ops, ['w3', 'w1', 'datasync', 'w3', 'w1', 'datasync', 'w2', 'sync', 'close']);
  });

  it('fails the pipeline with a write’s error and still closes the file, unsynced', async () => {
    const { ops, file } = recordingFile({ failWrite: true });
    await assert.rejects(pipeline(Readable.from([Buffer.alloc(10)]), syncedFileWriter(file, 4)), /ENOSPC/);
    assert.deepEqual(ops, ['close']);
  });

  it('writes a real file byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'transplant-synced-'));
    try {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const path = join(dir, 'object');
      await pipeline(
        Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
        syncedFileWriter(await open(path, 'wx'), 1024 * 1024),
      );
      assert.ok((await readFile(path)).equals(data));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
