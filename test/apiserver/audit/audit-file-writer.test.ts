/**
 * The audit log file: created 0600 in a 0700 directory, nothing lost on a clean stop however
 * many lines were queued, rotated at its size keeping the number of old files asked for.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditFileWriter } from '../../../src/apiserver/audit/audit-file-writer.js';

describe('AuditFileWriter', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-audit-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file 0600 in a new 0700 directory and writes every queued line on close', async () => {
    const path = join(dir, 'new', 'audit.log');
    const writer = await AuditFileWriter.open({ path, batchDelayMs: 1000 });
    for (let i = 0; i < 5000; i++) writer.write(JSON.stringify({ i }));
    await writer.close();
    writer.write('after close');
    assert.equal((await stat(join(dir, 'new'))).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 5000);
    assert.deepEqual(JSON.parse(lines[4999]!), { i: 4999 });
  });

  it('appends to an existing file and makes it 0600', async () => {
    const path = join(dir, 'existing.log');
    await writeFile(path, 'old\n');
    await chmod(path, 0o644);
    const writer = await AuditFileWriter.open({ path });
    writer.write('new');
    await writer.flush();
    assert.equal(await readFile(path, 'utf8'), 'old\nnew\n');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await writer.close();
  });

  it('rotates at its size and keeps maxBackups old files', async () => {
    const rotating = join(dir, 'rotating');
    const path = join(rotating, 'audit.log');
    const writer = await AuditFileWriter.open({ path, maxSizeMegabytes: 1, maxBackups: 2 });
    const line = 'x'.repeat(600 * 1024);
    for (let i = 0; i < 7; i++) {
      writer.write(line);
      await writer.flush();
    }
    await writer.close();
    const files = (await readdir(rotating)).sort();
    assert.equal(files.length, 3, files.join(' '));
    assert.ok(files.includes('audit.log'));
    for (const f of files.filter((f) => f !== 'audit.log')) {
      assert.match(f, /^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.log$/);
      assert.equal((await stat(join(rotating, f))).mode & 0o777, 0o600);
    }
  });
});
