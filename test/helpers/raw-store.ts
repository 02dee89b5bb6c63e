/**
 * What a store holds on disk, read without the API server and its keys: the bytes of a SQLite
 * database with its -wal and -shm files, or every value under a prefix of an etcd cluster (as
 * `etcdctl get --prefix` prints them). For tests that a secret never reaches the disk in clear.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** The database file and its -wal and -shm (those that exist), as Latin-1 text: every byte one character. */
export async function sqliteRawText(dbPath: string): Promise<string> {
  const parts = await Promise.all(
    ['', '-wal', '-shm'].map((suffix) => readFile(`${dbPath}${suffix}`).catch(() => Buffer.alloc(0))),
  );
  return Buffer.concat(parts).toString('latin1');
}

/** Every key and value under `prefix`, through etcdctl with the cluster's client certificate. */
export async function etcdRawText(
  endpoints: readonly string[],
  files: { ca: string; cert: string; key: string },
  prefix: string,
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    '/usr/bin/etcdctl',
    [
      `--endpoints=${endpoints.join(',')}`,
      `--cacert=${files.ca}`,
      `--cert=${files.cert}`,
      `--key=${files.key}`,
      'get',
      '--prefix',
      prefix,
    ],
    { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout;
}

/** The forms a secret value takes in a stored object: as it is, and base64 (a Secret's `data`). */
export function storedForms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64')];
}

/**
 * Needles no encrypted store may show: the PEM header of a private key, as it is (a ShootState's
 * data) and as the base64 of a PEM's start (a Secret's `data`, which begins with the PEM).
 */
export const privateKeyForms = ['PRIVATE KEY', Buffer.from('-----BEGIN ').toString('base64').slice(0, 14)];

/** Fails naming the first needle `raw` contains. */
export function assertAbsent(raw: string, needles: readonly string[], where: string): void {
  for (const needle of needles) {
    assert.ok(!raw.includes(needle), `${where} shows ${JSON.stringify(needle)} in clear`);
  }
}
