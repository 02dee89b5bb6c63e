/**
 * Encryption at rest and file modes on a real landscape (`transplant up`: the garden and seed-a,
 * seed-b on SQLite, the example shoot, whose ShootState holds its CAs' private keys):
 *
 * - the garden's and the seeds' SQLite files (with -wal and -shm), read without the keys, show no
 *   Secret value and no private key, while an unencrypted ConfigMap's value is there in clear;
 * - after a migration every file and directory under the landscape's directory is the owner's
 *   alone (no group or other permission bits);
 * - a garden key rotation as Kubernetes does it: a garden without the key its objects were
 *   written with fails to read them, naming the key; with the new key first and the old one
 *   after, it reads them; `kubectl replace` and `transplant rewrite-encrypted` rewrite them; then
 *   the old key is removed and everything still reads.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { groupOrOtherAccessible } from '../helpers/file-modes.js';
import { bash, kubectl } from '../helpers/kubectl.js';
import { cli, type TestLandscape } from '../helpers/landscape.js';
import {
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
  waitForRestoreOn,
} from '../helpers/migration.js';
import { alive, eventually, until } from '../helpers/processes.js';
import { assertAbsent, privateKeyForms, sqliteRawText, storedForms } from '../helpers/raw-store.js';

const run = promisify(execFile);
const SEEDS = ['seed-a', 'seed-b'];

interface ConfigKey {
  name: string;
  secret: string;
}

describe('encryption at rest and file modes on a landscape', () => {
  let shoot: ShootOnLandscape;
  let l: TestLandscape;
  const value = `secret-${randomUUID()}`;
  const control = `plain-${randomUUID()}`;

  const gardenDb = () => join(l.dir, 'garden', 'garden.db');
  const seedDb = (seed: string) => join(l.dir, 'seeds', seed, 'state', `${seed}.db`);
  const gardenConfig = () => join(l.dir, 'garden', 'encryption-config.yaml');

  before(async () => {
    shoot = await startShootOnLandscape();
    l = shoot.landscape;
    const created = await kubectl(
      l.garden,
      ['create', '-f', '-'],
      [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'at-rest', namespace: 'garden' },
          stringData: { v: value },
        },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'at-rest', namespace: 'garden' },
          data: { v: control },
        },
      ]
        .map((m) => JSON.stringify(m))
        .join('\n'),
    );
    assert.equal(created.code, 0, created.stderr);
    const onSeed = await kubectl(l.seedKubeconfig('seed-a'), [
      'create',
      'secret',
      'generic',
      'at-rest',
      '-n',
      'garden',
      `--from-literal=v=${value}`,
    ]);
    assert.equal(onSeed.code, 0, onSeed.stderr);
  });

  after(async () => {
    await shoot?.stop();
  });

  /** Every store of the landscape, read raw: no secret value, no private key. */
  async function assertStoresShowNoSecret(): Promise<void> {
    const garden = await sqliteRawText(gardenDb());
    // The check can fail: the ConfigMap is not encrypted and its value is there.
    assert.ok(garden.includes(control), "the unencrypted ConfigMap's value is in the garden's store");
    assert.match(garden, /k8s:enc:aesgcm:v1:/);
    assertAbsent(garden, [...storedForms(value), ...privateKeyForms], 'the garden store (garden.db, -wal, -shm)');
    for (const seed of SEEDS) {
      assertAbsent(await sqliteRawText(seedDb(seed)), [...storedForms(value), ...privateKeyForms], `${seed}'s store`);
    }
  }

  it("keeps the garden's and the seeds' Secrets and the ShootState out of their SQLite files in clear", async () => {
    // The ShootState holds the shoot's CA keys (so the grep below looks for something that is there).
    const state = await eventually(
      async () => {
        const got = await kubectl(l.garden, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT, '-o', 'json']);
        return got.code === 0 && privateKeyForms.some((form) => got.stdout.includes(form)) ? got.stdout : undefined;
      },
      60_000,
      'the ShootState holds private keys',
    );
    assert.ok(state.length > 0);
    const read = await kubectl(l.garden, ['get', 'secret', 'at-rest', '-n', 'garden', '-o', 'jsonpath={.data.v}']);
    assert.equal(Buffer.from(read.stdout, 'base64').toString(), value);
    await assertStoresShowNoSecret();
  });

  it('leaves no file or directory under the landscape readable by group or others, after a migration', async () => {
    await triggerMigration(l.garden, 'seed-b');
    await waitForRestoreOn(l, 'seed-b');
    const open = await groupOrOtherAccessible(l.dir);
    assert.deepEqual(open, [], `readable by group or others:\n${open.join('\n')}`);
    // seed-b now has the control plane's secrets (restored from the ShootState): encrypted too.
    await assertStoresShowNoSecret();
  });

  it("rotates the garden's key: a missing key fails reads naming it; new key first, rewrite, old key removed", async () => {
    const original = parseYaml(await readFile(gardenConfig(), 'utf8'));
    const [oldKey] = original.resources[0].providers[0].aesgcm.keys as ConfigKey[];
    const newKey: ConfigKey = { name: 'key-rotated', secret: randomBytes(32).toString('base64') };
    const secretValue = async () => {
      const got = await kubectl(l.garden, ['get', 'secret', 'at-rest', '-n', 'garden', '-o', 'jsonpath={.data.v}']);
      return { ...got, value: Buffer.from(got.stdout, 'base64').toString() };
    };

    // Only a key the store was not written with: reads fail, and say which key they need.
    await restartGardenWith([newKey]);
    const refused = await secretValue();
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`with key ${oldKey!.name}: no such key is configured`));
    const state = await kubectl(l.garden, ['get', 'shootstate', '-n', SHOOT_NAMESPACE, SHOOT]);
    assert.match(state.stderr, new RegExp(oldKey!.name));

    // The new key first, the old one still listed: everything reads; new writes use the new key.
    await restartGardenWith([newKey, oldKey!]);
    assert.equal((await secretValue()).value, value);

    // Rewrite: kube-apiserver's way for secrets, then the command for every encrypted resource (twice: idempotent).
    const replaced = await bash('kubectl get secrets -A -o json | kubectl replace -f -', { KUBECONFIG: l.garden });
    assert.equal(replaced.code, 0, replaced.stderr);
    for (let i = 0; i < 2; i++) {
      const { stdout } = await run(process.execPath, [cli, 'rewrite-encrypted', '--kubeconfig', l.garden]);
      assert.match(stdout, /^secrets: \d+ rewritten/m);
      assert.match(stdout, /^shootstates\.core\.gardener\.cloud: [1-9]\d* rewritten/m);
    }

    // The old key gone: every Secret and ShootState still reads.
    await restartGardenWith([newKey]);
    assert.equal((await secretValue()).value, value);
    for (const resource of ['secrets', 'shootstates']) {
      const all = await kubectl(l.garden, ['get', resource, '-A', '-o', 'name']);
      assert.equal(all.code, 0, all.stderr);
    }
    const raw = await sqliteRawText(gardenDb());
    assert.ok(raw.includes(`k8s:enc:aesgcm:v1:${newKey.name}:`));
    assertAbsent(raw, [...storedForms(value), ...privateKeyForms], 'the garden store after the rotation');
  });

  /** Writes the garden's encryption config with `keys` (identity after them) and restarts the garden. */
  async function restartGardenWith(keys: ConfigKey[]): Promise<void> {
    const config = {
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [
        {
          resources: ['secrets', 'shootstates.core.gardener.cloud'],
          providers: [{ aesgcm: { keys } }, { identity: {} }],
        },
      ],
    };
    await writeFile(gardenConfig(), stringifyYaml(config), { mode: 0o600 });
    const old = (await l.file()).garden.pid!;
    process.kill(old, 'SIGTERM');
    await until(
      async () => {
        const pid = (await l.file()).garden.pid;
        return pid !== undefined && pid !== old && alive(pid);
      },
      60_000,
      'the supervisor restarted the garden',
    );
    await until(async () => (await kubectl(l.garden, ['get', 'ns', 'garden'])).code === 0, 60_000, 'the garden serves');
  }
});
