import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { AesGcmEnvelope, namedEncryptionKey } from '../../src/storage/encryption/aes-gcm-envelope.js';
import { EncryptingStorage } from '../../src/storage/encryption/encrypting-storage.js';
import { isStorageError, type Storage, type StoreEvent } from '../../src/storage/interface.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { runStorageConformance } from '../../src/storage/testing/suite.js';

const key1 = { name: 'key1', secretBase64: randomBytes(32).toString('base64') };
const key2 = { name: 'key2', secretBase64: randomBytes(32).toString('base64') };
const secretsPrefix = '/registry/secrets/';

// Every key the suite writes is under /registry/: each of its cases runs on wrappers.
runStorageConformance(
  'encrypting sqlite :memory:',
  async () => ({
    store: new EncryptingStorage(openSqliteStore({ path: ':memory:' }), { keys: [key1], prefixes: ['/registry/'] }),
    cleanup: async () => {},
  }),
  { persistent: false },
);

runStorageConformance('encrypting sqlite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'transplant-encryption-'));
  const open = () =>
    new EncryptingStorage(openSqliteStore({ path: join(dir, 'store.db') }), { keys: [key1], prefixes: ['/registry/'] });
  return { store: open(), reopen: async () => open(), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

function secret(name: string, value: string, namespace = 'ns'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid: `uid-${name}`, labels: { app: name } },
    type: 'Opaque',
    data: { password: Buffer.from(value).toString('base64') },
  };
}

function password(obj: KubeObject): string {
  return Buffer.from((obj.data as { password: string }).password, 'base64').toString('utf8');
}

/** A decorator over a fresh in-memory SQLite store, and that store. */
function encrypted(keys = [key1], prefixes = [secretsPrefix]) {
  const inner = openSqliteStore({ path: ':memory:' });
  return { inner, store: new EncryptingStorage(inner, { keys, prefixes }) };
}

async function assertCannotDecrypt(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isStorageError(err, 'Internal'), `expected StorageError Internal, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

async function next(events: AsyncIterator<StoreEvent>): Promise<StoreEvent> {
  const step = await events.next();
  assert.equal(step.done, false);
  return step.value as StoreEvent;
}

describe('EncryptingStorage', () => {
  it('round-trips every operation and stores only ciphertext under the encrypted prefix', async () => {
    const { inner, store } = encrypted();
    const watcher = store.watch(secretsPrefix);
    const events = watcher[Symbol.asyncIterator]();
    const plaintext = 'correct horse battery staple';
    const key = '/registry/secrets/ns/db';

    const created = await store.create(key, {
      ...secret('db', plaintext),
      metadata: { ...secret('db', '').metadata, resourceVersion: '77' },
    });
    assert.equal(password(created), plaintext);
    assert.equal(created.metadata.resourceVersion, String(await inner.currentRevision()));
    assert.deepEqual(await store.get(key), created);

    const stored = await inner.get(key);
    assert.deepEqual(Object.keys(stored).sort(), ['apiVersion', 'encrypted', 'kind', 'metadata']);
    assert.deepEqual(stored.metadata, {
      name: 'db',
      namespace: 'ns',
      resourceVersion: created.metadata.resourceVersion,
    });
    assert.match(stored.encrypted as string, /^k8s:enc:aesgcm:v1:key1:[A-Za-z0-9+/]+=*$/);
    const raw = JSON.stringify(stored);
    for (const needle of [plaintext, Buffer.from(plaintext).toString('base64'), 'uid-db', '"labels"']) {
      assert.ok(!raw.includes(needle), `the stored form contains ${needle}`);
    }

    const updated = await store.guaranteedUpdate(key, (cur) => ({
      ...cur,
      data: { password: Buffer.from('v2').toString('base64') },
    }));
    assert.equal(password(updated), 'v2');
    assert.ok(Number(updated.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    assert.notEqual((await inner.get(key)).encrypted, stored.encrypted);

    const listed = await store.list(secretsPrefix);
    assert.deepEqual(listed.items, [updated]);
    const deleted = await store.delete(key, { uid: 'uid-db' });
    assert.equal(password(deleted), 'v2');
    assert.equal(deleted.metadata.resourceVersion, String(await inner.currentRevision()));

    const added = await next(events);
    assert.deepEqual([added.type, added.object], ['ADDED', created]);
    const modified = await next(events);
    assert.deepEqual([modified.type, modified.object, modified.prevObject], ['MODIFIED', updated, created]);
    const gone = await next(events);
    assert.deepEqual([gone.type, gone.object, gone.prevObject], ['DELETED', deleted, updated]);
    watcher.stop();
    await store.close();
  });

  it('leaves objects outside the encrypted prefixes as they are', async () => {
    const { inner, store } = encrypted();
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'ns' },
      data: { a: 'visible' },
    };
    const created = await store.create('/registry/configmaps/ns/c', cm);
    assert.deepEqual(await inner.get('/registry/configmaps/ns/c'), created);
    assert.equal((created.data as { a: string }).a, 'visible');
    await store.close();
  });

  it('lists raw: outside the encrypted prefixes as stored, under them or over a left wrapper decrypted', async () => {
    const inner = openSqliteStore({ path: ':memory:' });
    // Counts the backend's decoding lists, so that the pass-through is seen to be taken.
    let decodingLists = 0;
    const counted = new Proxy(inner, {
      get(target, name, receiver) {
        if (name === 'list') decodingLists++;
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new EncryptingStorage(counted, { keys: [key1], prefixes: [secretsPrefix] });
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } };
    await store.create('/registry/configmaps/ns/c', cm);
    await store.create('/registry/secrets/ns/s', secret('s', 'hidden'));
    assert.ok(store.listRaw, 'offered over a backend that has it');

    const configMaps = await store.listRaw('/registry/configmaps/');
    assert.deepEqual(configMaps, await inner.listRaw('/registry/configmaps/'));
    assert.equal(decodingLists, 0, 'the stored text passed through');

    const secrets = await store.listRaw('/registry/secrets/');
    assert.equal(secrets.items.length, 1);
    assert.equal(password(JSON.parse(secrets.items[0]!)), 'hidden');
    assert.doesNotMatch(secrets.items[0]!, /k8s:enc:/);
    const everything = await store.listRaw('/registry/');
    assert.deepEqual(everything.items.map((item) => JSON.parse(item).kind).sort(), ['ConfigMap', 'Secret']);
    assert.doesNotMatch(everything.items.join(), /k8s:enc:/);

    // Secrets no longer encrypted: the one written before is still a wrapper, and is decrypted.
    const unencrypted = new EncryptingStorage(inner, { keys: [key1], prefixes: [] });
    const left = await unencrypted.listRaw!('/registry/secrets/');
    assert.equal(password(JSON.parse(left.items[0]!)), 'hidden');
    await inner.close();
  });

  it('decrypts before the list predicate, and pages by matches', async () => {
    const { store } = encrypted();
    for (let n = 0; n < 7; n++)
      await store.create(`/registry/secrets/ns/s${n}`, secret(`s${n}`, n % 2 ? 'odd' : 'even'));
    const seen: string[] = [];
    const page = await store.list(secretsPrefix, {
      limit: 2,
      predicate: (obj) => {
        seen.push(password(obj));
        return password(obj) === 'even';
      },
    });
    assert.deepEqual(
      page.items.map((obj) => obj.metadata.name),
      ['s0', 's2'],
    );
    assert.ok(page.continue);
    assert.ok(seen.every((value) => value === 'odd' || value === 'even'));
    const rest = await store.list(secretsPrefix, {
      limit: 2,
      continue: page.continue,
      predicate: (obj) => password(obj) === 'even',
    });
    assert.deepEqual(
      rest.items.map((obj) => obj.metadata.name),
      ['s4', 's6'],
    );
    await store.close();
  });

  it('checks uid preconditions against the decrypted object', async () => {
    const { store } = encrypted();
    const key = '/registry/secrets/ns/a';
    await store.create(key, secret('a', 'x'));
    await assert.rejects(
      store.guaranteedUpdate(key, (cur) => cur, { uid: 'other' }),
      (err) => isStorageError(err, 'Conflict'),
    );
    await assert.rejects(store.delete(key, { uid: 'other' }), (err) => isStorageError(err, 'Conflict'));
    assert.equal((await store.delete(key, { uid: 'uid-a' })).metadata.name, 'a');
    await store.close();
  });

  it('a wrong key is a clear Internal error on every read, never ciphertext or garbage', async () => {
    const inner = openSqliteStore({ path: ':memory:' });
    const writer = new EncryptingStorage(inner, { keys: [key1], prefixes: [secretsPrefix] });
    const key = '/registry/secrets/ns/a';
    await writer.create(key, secret('a', 'x'));
    const sameNameOtherKey = new EncryptingStorage(inner, {
      keys: [{ name: 'key1', secretBase64: key2.secretBase64 }],
      prefixes: [secretsPrefix],
    });
    const wrongKey = /^cannot decrypt \/registry\/secrets\/ns\/a with key key1: authentication failed/;
    await assertCannotDecrypt(sameNameOtherKey.get(key), wrongKey);
    await assertCannotDecrypt(
      sameNameOtherKey.guaranteedUpdate(key, (cur) => cur),
      wrongKey,
    );
    await assertCannotDecrypt(sameNameOtherKey.delete(key), wrongKey);
    await assertCannotDecrypt(sameNameOtherKey.list(secretsPrefix), /cannot decrypt Secret ns\/a .* with key key1/);
    await assertCannotDecrypt(
      sameNameOtherKey.list(secretsPrefix, { predicate: () => true }),
      /cannot decrypt Secret ns\/a .* with key key1/,
    );

    const unknownKey = new EncryptingStorage(inner, { keys: [key2], prefixes: [secretsPrefix] });
    await assertCannotDecrypt(
      unknownKey.get(key),
      /^cannot decrypt \/registry\/secrets\/ns\/a with key key1: no such key is configured \(configured: key2\)/,
    );

    const watcher = sameNameOtherKey.watch(secretsPrefix);
    await writer.guaranteedUpdate(key, (cur) => ({ ...cur, type: 'Opaque', data: {} }));
    await assertCannotDecrypt(watcher[Symbol.asyncIterator]().next(), wrongKey);
    watcher.stop();
    // The data is still there for the right key.
    assert.deepEqual((await writer.get(key)).data, {});
    await inner.close();
  });

  it('detects a wrapper whose readable metadata was changed', async () => {
    const { inner, store } = encrypted();
    await store.create('/registry/secrets/ns/a', secret('a', 'x'));
    await inner.guaranteedUpdate('/registry/secrets/ns/a', (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, name: 'b' },
    }));
    await assertCannotDecrypt(store.get('/registry/secrets/ns/a'), /authentication failed/);
    await store.close();
  });

  it('rotates: the first key encrypts, all decrypt, and a no-op update re-encrypts', async () => {
    const inner = openSqliteStore({ path: ':memory:' });
    const old = new EncryptingStorage(inner, { keys: [key1], prefixes: [secretsPrefix] });
    const key = '/registry/secrets/ns/a';
    const created = await old.create(key, secret('a', 'rotate me'));
    const rotated = new EncryptingStorage(inner, { keys: [key2, key1], prefixes: [secretsPrefix] });
    assert.deepEqual(await rotated.get(key), created);
    const rewritten = await rotated.guaranteedUpdate(key, () => null);
    assert.equal(password(rewritten), 'rotate me');
    assert.ok(Number(rewritten.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    assert.equal(AesGcmEnvelope.keyNameOf((await inner.get(key)).encrypted as string), 'key2');
    // Up to date now: a no-op update writes nothing.
    assert.deepEqual(await rotated.guaranteedUpdate(key, (cur) => cur), rewritten);
    await inner.close();
  });

  it('reads objects stored before encryption was enabled, and encrypts them on the next update', async () => {
    const inner = openSqliteStore({ path: ':memory:' });
    const key = '/registry/secrets/ns/legacy';
    const plain = await inner.create(key, secret('legacy', 'old'));
    const store = new EncryptingStorage(inner, { keys: [key1], prefixes: [secretsPrefix] });
    assert.deepEqual(await store.get(key), plain);
    const rewritten = await store.guaranteedUpdate(key, (cur) => cur);
    assert.ok(AesGcmEnvelope.isEnvelope((await inner.get(key)).encrypted));
    assert.deepEqual(
      { ...rewritten, metadata: { ...rewritten.metadata, resourceVersion: '' } },
      {
        ...plain,
        metadata: { ...plain.metadata, resourceVersion: '' },
      },
    );
    await inner.close();
  });

  it('rejects bad key configurations', () => {
    const inner = {} as Storage;
    assert.throws(() => new EncryptingStorage(inner, { keys: [], prefixes: [] }), /at least one key/);
    assert.throws(
      () =>
        new EncryptingStorage(inner, {
          keys: [{ name: 'k', secretBase64: randomBytes(16).toString('base64') }],
          prefixes: [],
        }),
      /base64 of 32 bytes/,
    );
    assert.throws(
      () => new EncryptingStorage(inner, { keys: [{ name: 'k', secretBase64: 'not base64!' }], prefixes: [] }),
      /base64/,
    );
    assert.throws(() => new EncryptingStorage(inner, { keys: [{ ...key1, name: 'a:b' }], prefixes: [] }), /must match/);
    assert.throws(() => new EncryptingStorage(inner, { keys: [key1, key1], prefixes: [] }), /twice/);
  });

  it('names a key after its own digest, the same way everywhere', () => {
    const named = namedEncryptionKey(key1.secretBase64);
    assert.match(named.name, /^key-[0-9a-f]{12}$/);
    assert.deepEqual(namedEncryptionKey(key1.secretBase64), named);
    assert.notEqual(namedEncryptionKey(key2.secretBase64).name, named.name);
  });
});
