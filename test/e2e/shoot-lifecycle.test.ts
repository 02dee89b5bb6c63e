/**
 * A shoot's life on a real landscape (`transplant up`): created from examples/ with kubectl, its
 * control plane (real etcd + kube-apiserver) serves at its own address, an admin kubeconfig from
 * `shoots/adminkubeconfig` works with kubectl, a seed killed with -9 comes back with the data and
 * the old kubeconfig, and deleting the shoot leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { kubectl, kubectlStream } from '../helpers/kubectl.js';
import { alive, etcdPidsUnder, eventually } from '../helpers/processes.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('shoot lifecycle on a landscape', () => {
  let dir: string;
  let garden: string;
  let shootKubeconfig: string;
  const landscape = async () => JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
  const shoot = async () =>
    JSON.parse((await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'my-shoot', '-o', 'json'])).stdout);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-shoot-'));
    await run(process.execPath, [
      cli,
      'up',
      '--dir',
      dir,
      '--seeds',
      'seed-a,seed-b',
      '--detach',
      '--log-level',
      'warn',
    ]);
    garden = join(dir, 'garden.kubeconfig');
    shootKubeconfig = join(dir, 'my-shoot.kubeconfig');
  });

  after(async () => {
    const l = await landscape().catch(() => undefined);
    await run(process.execPath, [cli, 'down', '--dir', dir]).catch(() => undefined);
    for (const pid of [l?.supervisorPid, l?.garden.pid, ...Object.values(l?.seeds ?? {}).map((s) => s.pid)]) {
      if (alive(pid)) process.kill(pid!, 'SIGKILL');
    }
    for (const pid of await etcdPidsUnder(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('kubectl apply creates the shoot; lastOperation reaches Create Succeeded on seed-a', async () => {
    const applied = await kubectl(garden, ['apply', '-f', examples]);
    assert.equal(applied.code, 0, applied.stderr);
    const done = await eventually(
      async () => {
        const s = await shoot();
        return s.status?.lastOperation?.type === 'Create' && s.status.lastOperation.state === 'Succeeded'
          ? s
          : undefined;
      },
      60_000,
      'the shoot is created',
    );
    assert.equal(done.status.seedName, 'seed-a');
    assert.equal(done.status.lastOperation.progress, 100);
    assert.equal(done.status.technicalID, 'shoot--dev--my-shoot');
    assert.match(done.status.advertisedAddresses[0].url, /^https:\/\/127\.\d+\.\d+\.\d+:\d+$/);
  });

  it('shows the control plane in the seed API and the persisted secrets in the ShootState', async () => {
    const seedA = join(dir, 'seeds', 'seed-a.kubeconfig');
    const listed = await kubectl(seedA, ['get', 'etcds,namespaces,dnsrecords', '-A']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /shoot--dev--my-shoot\s+etcd\.druid\.gardener\.cloud\/etcd-main\s+true/);
    assert.match(listed.stdout, /namespace\/shoot--dev--my-shoot/);
    assert.match(listed.stdout, /dnsrecord/);
    const state = JSON.parse(
      (await kubectl(garden, ['get', 'shootstate', '-n', 'garden-dev', 'my-shoot', '-o', 'json'])).stdout,
    );
    const names = (state.spec.gardener as { name: string; type: string }[])
      .filter((g) => g.type === 'secret')
      .map((g) => g.name);
    for (const wanted of [
      'ca',
      'ca-client',
      'ca-etcd',
      'service-account-key',
      'kube-apiserver-static-token',
      'etcd-encryption-key',
    ]) {
      assert.ok(names.includes(wanted), `ShootState lacks ${wanted}: ${names.join(', ')}`);
    }
  });

  it('an admin kubeconfig from shoots/adminkubeconfig works with kubectl, including watch', async () => {
    const request = JSON.stringify({
      apiVersion: 'authentication.gardener.cloud/v1alpha1',
      kind: 'AdminKubeconfigRequest',
      spec: { expirationSeconds: 3600 },
    });
    const created = await kubectl(
      garden,
      [
        'create',
        '--raw',
        '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots/my-shoot/adminkubeconfig',
        '-f',
        '-',
      ],
      request,
    );
    assert.equal(created.code, 0, created.stderr);
    await writeFile(shootKubeconfig, Buffer.from(JSON.parse(created.stdout).status.kubeconfig, 'base64'), {
      mode: 0o600,
    });
    assert.equal((await kubectl(shootKubeconfig, ['create', 'namespace', 'app'])).code, 0);
    assert.equal(
      (await kubectl(shootKubeconfig, ['create', 'configmap', 'one', '-n', 'app', '--from-literal=k=v1'])).code,
      0,
    );
    assert.equal(
      (
        await kubectl(shootKubeconfig, [
          'create',
          'secret',
          'generic',
          's',
          '-n',
          'app',
          '--from-literal=password=hunter2',
        ])
      ).code,
      0,
    );
    const secret = JSON.parse(
      (await kubectl(shootKubeconfig, ['get', 'secret', 's', '-n', 'app', '-o', 'json'])).stdout,
    );
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 'hunter2');
    const watch = kubectlStream(shootKubeconfig, ['get', 'configmaps', '-n', 'app', '-w']);
    try {
      await watch.waitFor(/one/);
      await kubectl(shootKubeconfig, ['create', 'configmap', 'two', '-n', 'app', '--from-literal=k=v2']);
      await watch.waitFor(/two/);
    } finally {
      watch.stop();
    }
  });

  it('a seed killed with -9 brings the control plane back: same data, same kubeconfig', async () => {
    const before = (await landscape()).seeds['seed-a']!.pid!;
    process.kill(before, 'SIGKILL');
    const value = await eventually(
      async () => {
        const got = await kubectl(shootKubeconfig, [
          'get',
          'configmap',
          'two',
          '-n',
          'app',
          '-o',
          'jsonpath={.data.k}',
        ]);
        return got.code === 0 ? got.stdout : undefined;
      },
      60_000,
      'the shoot API serves again',
    );
    assert.equal(value, 'v2');
    assert.notEqual((await landscape()).seeds['seed-a']!.pid, before);
  });

  it('deleting the shoot leaves no process, data directory or object behind', async () => {
    const runtime = join(dir, 'seeds', 'seed-a', 'state');
    assert.ok((await etcdPidsUnder(runtime)).length > 0, 'an etcd runs for the shoot');
    const deleted = await kubectl(garden, ['delete', 'shoot', '-n', 'garden-dev', 'my-shoot', '--wait=false']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(
      async () =>
        (await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'my-shoot'])).code !== 0 ? true : undefined,
      60_000,
      'the shoot is gone',
    );
    assert.deepEqual(await etcdPidsUnder(runtime), []);
    const seedA = join(dir, 'seeds', 'seed-a.kubeconfig');
    const left = await kubectl(seedA, ['get', 'etcds,dnsrecords,infrastructures,controlplanes', '-A', '-o', 'name']);
    assert.equal(left.stdout.trim(), '');
    assert.notEqual((await kubectl(seedA, ['get', 'namespace', 'shoot--dev--my-shoot'])).code, 0);
    assert.notEqual((await kubectl(garden, ['get', 'shootstate', '-n', 'garden-dev', 'my-shoot'])).code, 0);
    assert.equal(existsSync(join(runtime, 'controlplanes', 'shoot--dev--my-shoot')), false);
    const refused = await kubectl(shootKubeconfig, ['get', 'ns', '--request-timeout=3s']);
    assert.notEqual(refused.code, 0, 'the shoot API no longer serves');
  });

  it('a seed killed in the middle of the create flow finishes it after the restart', async () => {
    const manifest = JSON.parse(
      (await kubectl(garden, ['create', '-f', join(examples, '30-shoot.yaml'), '--dry-run=client', '-o', 'json']))
        .stdout,
    );
    manifest.metadata.name = 'crash-me';
    const created = await kubectl(garden, ['create', '-f', '-'], JSON.stringify(manifest));
    assert.equal(created.code, 0, created.stderr);
    const processing = await eventually(
      async () => {
        const s = JSON.parse(
          (await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'crash-me', '-o', 'json'])).stdout,
        );
        const op = s.status?.lastOperation;
        return op?.type === 'Create' && op.state === 'Processing' ? op : undefined;
      },
      30_000,
      'the create flow runs',
    );
    process.kill((await landscape()).seeds['seed-a']!.pid!, 'SIGKILL');
    assert.notEqual(processing.progress, 100);
    const done = await eventually(
      async () => {
        const s = JSON.parse(
          (await kubectl(garden, ['get', 'shoot', '-n', 'garden-dev', 'crash-me', '-o', 'json'])).stdout,
        );
        return s.status?.lastOperation?.state === 'Succeeded' ? s : undefined;
      },
      90_000,
      'the create flow finishes after the restart',
    );
    assert.equal(done.status.lastOperation.type, 'Create');
    assert.equal(done.status.seedName, 'seed-a');
    const runtime = join(dir, 'seeds', 'seed-a', 'state');
    assert.equal(
      (await etcdPidsUnder(join(runtime, 'controlplanes', 'shoot--dev--crash-me'))).length,
      1,
      'exactly one etcd for the shoot',
    );
  });
});
