import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  encryptedStorage,
  ensureEncryptionConfigFile,
  readEncryptionConfigFile,
} from '../../src/hosting/encryption-config-file.js';
import { EncryptingStorage } from '../../src/storage/encryption/encrypting-storage.js';
import { keyPrefixOf, parseEncryptionConfig } from '../../src/storage/encryption/encryption-config.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

const secret = () => randomBytes(32).toString('base64');
const k1 = { name: 'key1', secret: secret() };
const k2 = { name: 'key2', secret: secret() };

function config(resources: unknown[]): string {
  return stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources });
}

const parse = (text: string) => parseEncryptionConfig(text, '/etc/enc.yaml');

describe('EncryptionConfiguration', () => {
  it('reads aesgcm then identity: the first key writes, both decrypt, the resources are encrypted', () => {
    const parsed = parse(
      config([
        {
          resources: ['secrets', 'shootstates.core.gardener.cloud'],
          providers: [{ aesgcm: { keys: [k2, k1] } }, { identity: {} }],
        },
      ]),
    );
    assert.deepEqual(
      parsed.keys.map((k) => k.name),
      ['key2', 'key1'],
    );
    assert.deepEqual(parsed.encrypted.map(keyPrefixOf), [
      '/registry/secrets/',
      '/registry/core.gardener.cloud/shootstates/',
    ]);
  });

  it('reads identity first (turning encryption off): nothing is encrypted, the keys still decrypt', () => {
    const parsed = parse(
      config([{ resources: ['secrets'], providers: [{ identity: {} }, { aesgcm: { keys: [k1] } }] }]),
    );
    assert.deepEqual(parsed.encrypted, []);
    assert.deepEqual(
      parsed.keys.map((k) => k.name),
      ['key1'],
    );
  });

  const refused: [string, string, RegExp][] = [
    ['not YAML', ':\n  - [', /\/etc\/enc\.yaml: not YAML/],
    [
      'another apiVersion',
      stringify({ apiVersion: 'v1', kind: 'EncryptionConfiguration', resources: [] }),
      /apiVersion: must be apiserver\.config\.k8s\.io\/v1/,
    ],
    ['no resources', config([]), /resources: must list at least one entry/],
    [
      'aescbc',
      config([{ resources: ['secrets'], providers: [{ aescbc: { keys: [k1] } }] }]),
      /resources\[0\]\.providers\[0\]: provider aescbc is not supported/,
    ],
    [
      'two providers in one item',
      config([{ resources: ['secrets'], providers: [{ aesgcm: { keys: [k1] }, identity: {} }] }]),
      /exactly one provider/,
    ],
    [
      'a 16-byte key',
      config([
        {
          resources: ['secrets'],
          providers: [{ aesgcm: { keys: [{ name: 'k', secret: randomBytes(16).toString('base64') }] } }],
        },
      ]),
      /resources\[0\]\.providers\[0\]\.aesgcm\.keys\[0\]\.secret: key k must be the base64 of 32 bytes/,
    ],
    [
      'no keys',
      config([{ resources: ['secrets'], providers: [{ aesgcm: { keys: [] } }] }]),
      /aesgcm\.keys: must list at least one key/,
    ],
    [
      'a key name with a colon',
      config([{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'a:b', secret: k1.secret }] } }] }]),
      /keys\[0\]\.name: must be 1-63/,
    ],
    [
      'a key twice',
      config([{ resources: ['secrets'], providers: [{ aesgcm: { keys: [k1, k1] } }] }]),
      /key key1 is listed twice/,
    ],
    [
      'a wildcard',
      config([{ resources: ['*.*'], providers: [{ identity: {} }] }]),
      /wildcards \(\*\.\*\) are not supported/,
    ],
    [
      'a resource twice',
      config([
        { resources: ['secrets'], providers: [{ identity: {} }] },
        { resources: ['secrets'], providers: [{ identity: {} }] },
      ]),
      /resources\[1\]\.resources\[0\]: secrets is listed twice/,
    ],
    [
      'two key rings',
      config([
        { resources: ['secrets'], providers: [{ aesgcm: { keys: [k1] } }] },
        { resources: ['shootstates.core.gardener.cloud'], providers: [{ aesgcm: { keys: [k2] } }] },
      ]),
      /resources\[1\]\.providers: must list the same aesgcm keys as resources\[0\]/,
    ],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}, naming the file and the field`, () => {
      assert.throws(
        () => parse(text),
        (err: Error) => err.name === 'EncryptionConfigError' && message.test(err.message),
      );
    });
  }
});

describe('encryption config file', () => {
  it('is generated once, 0600, and never replaced; its resources must be served', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'transplant-enc-config-'));
    try {
      const path = join(dir, 'state', 'encryption-config.yaml');
      await ensureEncryptionConfigFile(path, ['secrets', 'shootstates.core.gardener.cloud']);
      const first = await readFile(path, 'utf8');
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'state'))).mode & 0o777, 0o700);
      await ensureEncryptionConfigFile(path, ['secrets']);
      assert.equal(await readFile(path, 'utf8'), first, 'a second call keeps the key');
      const parsed = await readEncryptionConfigFile(path);
      assert.equal(parsed.encrypted.length, 2);
      const backend = openSqliteStore({ path: ':memory:' });
      assert.ok(
        encryptedStorage(backend, parsed, new Set(['secrets', 'shootstates.core.gardener.cloud']), path) instanceof
          EncryptingStorage,
      );
      assert.throws(
        () => encryptedStorage(backend, parsed, new Set(['secrets']), path),
        /encryption-config\.yaml: shootstates\.core\.gardener\.cloud is not served here/,
      );
      await backend.close();
      await writeFile(path, 'kind: Nope\n');
      await assert.rejects(readEncryptionConfigFile(path), /apiVersion: must be/);
      await assert.rejects(readEncryptionConfigFile(join(dir, 'missing.yaml')), /missing\.yaml: cannot read it/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
