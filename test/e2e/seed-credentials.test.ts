/**
 * Per-seed credentials on a real garden over HTTPS, on SQLite and on etcd: an operator issues
 * a seed's credential with `transplant seed-credentials`, the store keeps only its digest, only
 * operators reach the digests, a rotation makes the new token work and the old one fail, and a
 * deleted credential Secret is refused within a second — an open `kubectl get shoots -w` and a
 * raw watch of the seed end within a second too. On SQLite also a seed's life with it: a first
 * start with `--bootstrap-kubeconfig`, a rotation under a running gardenlet (it carries on with
 * the new token, no heartbeat lost), and a restart after it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { leaseResource, SEED_LEASE_NAMESPACE } from '../../src/api/coordination/lease.js';
import { secretResource } from '../../src/api/core/secret.js';
import { seedResource } from '../../src/api/core-gardener/seed.js';
import { seedReadiness } from '../../src/api/core-gardener/seed-readiness.js';
import { shootResource } from '../../src/api/core-gardener/shoot.js';
import { isStatusError } from '../../src/api/errors.js';
import { hashToken } from '../../src/apiserver/authn/token-file.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { RestClient } from '../../src/client/rest-client.js';
import { listSeedCredentials, operatorClient, rotateSeedCredential } from '../../src/garden/seed-credentials.js';
import { tokenEntryOf } from '../../src/hosting/token-digests.js';
import { type Seed, startSeed } from '../../src/seed/seed.js';
import { startTestEtcd, type TestEtcd } from '../helpers/etcd.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl, kubectlPath } from '../helpers/kubectl.js';
import { cli } from '../helpers/landscape.js';
import { until } from '../helpers/processes.js';
import { transplant } from '../helpers/transplant-cli.js';

/** What the Done-when of issue 15 allows between a revocation and its effect. */
const revocationBudgetMs = 1000;

interface GardenUnderTest {
  garden: TestGarden;
  /** Every byte the store holds, as text (SQLite files, or every etcd key and value). */
  rawStore(): Promise<string>;
  cleanup(): Promise<void>;
}

const stores: { name: string; start: () => Promise<GardenUnderTest> }[] = [
  {
    name: 'SQLite',
    async start() {
      const garden = await startTestGarden();
      return {
        garden,
        rawStore: async () => {
          const files = ['garden.db', 'garden.db-wal'].map((f) => join(garden.dir, f));
          return (await Promise.all(files.map((f) => readFile(f).catch(() => Buffer.alloc(0))))).join('\n');
        },
        cleanup: () => garden.cleanup(),
      };
    },
  },
  {
    name: 'etcd',
    async start() {
      let etcd: TestEtcd | undefined = await startTestEtcd();
      try {
        const garden = await startTestGarden({ store: { kind: 'etcd', endpoints: etcd.endpoints, prefix: '/garden' } });
        const endpoints = etcd.endpoints.join(',');
        const owned = etcd;
        etcd = undefined;
        return {
          garden,
          rawStore: async () => {
            const child = spawn('/usr/bin/etcdctl', ['--endpoints', endpoints, 'get', '--prefix', '/'], {
              env: { ...process.env, ETCDCTL_API: '3' },
            });
            let out = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString('latin1');
            });
            const [code] = (await once(child, 'exit')) as [number];
            assert.equal(code, 0, 'etcdctl get');
            return out;
          },
          async cleanup() {
            await garden.cleanup();
            await owned.cleanup();
          },
        };
      } finally {
        await etcd?.cleanup();
      }
    },
  },
];

/** Polls `check` every 10 ms until it holds; returns the milliseconds it took. */
async function msUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - started;
}

/** `promise`'s value, or a failure naming `what` after `timeoutMs` (a watch that never ends). */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting until ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the garden refuses the kubeconfig's token (401) on a plain GET. */
async function refused(kubeconfig: string): Promise<boolean> {
  const client = new RestClient(loadKubeconfig(kubeconfig));
  try {
    // Discovery: every authenticated user may read it, so only the token decides (the seed
    // authorizer would answer most else with 403).
    await client.request('GET', '/apis');
    return false;
  } catch (err) {
    if (isStatusError(err) && err.status.code === 401) return true;
    throw err;
  } finally {
    client.close();
  }
}

for (const store of stores) {
  describe(`per-seed credentials on a ${store.name} garden`, () => {
    let g: GardenUnderTest;
    let dir: string;
    const seed = `seed-${store.name.toLowerCase()}`;
    const seedKubeconfig = () => join(dir, `${seed}.kubeconfig`);
    /** What a gardenlet may list: the shoots of its own seed (docs/security.md, "Seed authorization"). */
    const ownShoots = () => ['get', 'shoots', '-A', '--field-selector', `spec.seedName=${seed}`];

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'transplant-seed-credentials-'));
      g = await store.start();
    });
    after(async () => {
      await g?.cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    it('an operator issues a seed its own credential, and the store keeps only its digest', async () => {
      const issued = await transplant([
        'seed-credentials',
        'issue',
        seed,
        '--out',
        seedKubeconfig(),
        '--kubeconfig',
        g.garden.kubeconfig,
      ]);
      assert.equal(issued.code, 0, issued.stderr);
      assert.match(issued.stdout, new RegExp(`^secret/seed-credential-${seed}-[0-9a-f]{8} issued`));
      assert.equal((await stat(seedKubeconfig())).mode & 0o777, 0o600);
      const token = loadKubeconfig(seedKubeconfig()).token!;
      assert.ok(!issued.stdout.includes(token) && !issued.stderr.includes(token));

      const seeds = await kubectl(seedKubeconfig(), ownShoots());
      assert.equal(seeds.code, 0, seeds.stderr);
      const can = await kubectl(seedKubeconfig(), ['auth', 'can-i', 'update', `seeds/${seed}`, '--subresource=status']);
      assert.equal(can.stdout.trim(), 'yes', 'the token is the gardenlet identity of its seed');

      // The credential is its SHA-256 (read through the API: the store itself holds Secrets
      // encrypted, docs/security.md), and the token is nowhere in the store.
      const [credential] = await listSeedCredentials(g.garden.garden.hosted.client, seed);
      const stored = await g.garden.garden.hosted.client.resource(secretResource).get('kube-system', credential!.name);
      assert.equal(tokenEntryOf(stored)?.sha256, hashToken(token), 'the store records the token as its SHA-256');
      const raw = await g.rawStore();
      for (const form of [token, Buffer.from(token).toString('base64')]) {
        assert.ok(!raw.includes(form), 'the token itself is nowhere in the store');
      }
    });

    it('only operators reach seeds’ credentials', async () => {
      const read = await kubectl(seedKubeconfig(), ['get', 'secrets', '-n', 'kube-system']);
      assert.notEqual(read.code, 0);
      assert.match(read.stderr, /Forbidden.*cannot list resource "secrets".*kube-system/);
      for (const kubeconfig of [seedKubeconfig(), g.garden.memberKubeconfig]) {
        const issue = await transplant([
          'seed-credentials',
          'issue',
          'seed-other',
          '--out',
          join(dir, 'other.kubeconfig'),
          '--kubeconfig',
          kubeconfig,
        ]);
        assert.notEqual(issue.code, 0);
        assert.match(issue.stderr, /forbidden/i);
      }
      assert.deepEqual(
        (await listSeedCredentials(g.garden.garden.hosted.client)).map((c) => c.seed),
        [seed],
      );
    });

    it('a rotation makes the new token work and refuses the old one', async (t) => {
      const old = join(dir, 'old.kubeconfig');
      await copyFile(seedKubeconfig(), old);
      const rotated = await transplant([
        'seed-credentials',
        'rotate',
        seed,
        '--out',
        seedKubeconfig(),
        '--kubeconfig',
        g.garden.kubeconfig,
      ]);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /issued[\s\S]*revoked/);
      const ms = await msUntil(() => refused(old), 10_000, 'the old token is refused');
      t.diagnostic(`old token refused ${ms.toFixed(0)} ms after the rotation`);
      assert.ok(ms < revocationBudgetMs, `refused after ${ms} ms`);
      const stale = await kubectl(old, ownShoots());
      assert.match(stale.stderr, /Unauthorized/);
      const fresh = await kubectl(seedKubeconfig(), ownShoots());
      assert.equal(fresh.code, 0, fresh.stderr);
      assert.equal((await listSeedCredentials(g.garden.garden.hosted.client, seed)).length, 1);
    });

    it('a deleted credential is refused within a second, and its open watches end within a second', async (t) => {
      const [credential] = await listSeedCredentials(g.garden.garden.hosted.client, seed);
      assert.ok(credential);
      // kubectl's watch, and a raw one; -v=6 logs the watch request once it is open.
      const watcher: ChildProcess = spawn(
        kubectlPath,
        ['--kubeconfig', seedKubeconfig(), ...ownShoots(), '-w', '-v=6'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = once(watcher, 'exit').then(() => performance.now());
      try {
        let log = '';
        watcher.stderr!.on('data', (d: Buffer) => {
          log += d.toString();
        });
        const raw = new RestClient(loadKubeconfig(seedKubeconfig()));
        const rawWatch = await raw
          .resource(shootResource)
          .watch('', { fieldSelector: `spec.seedName=${seed}`, timeoutSeconds: 3600 });
        const rawEnded = (async () => {
          for await (const event of rawWatch) t.diagnostic(`raw watch: ${event.type}`);
          return performance.now();
        })();
        await until(async () => /watch=true.*200 OK/.test(log), 15_000, `kubectl's watch is open:\n${log}`);

        const deleted = await kubectl(g.garden.kubeconfig, ['delete', 'secret', '-n', 'kube-system', credential.name]);
        assert.equal(deleted.code, 0, deleted.stderr);
        const revokedAt = performance.now();
        const refusedMs = await msUntil(() => refused(seedKubeconfig()), 10_000, 'the token is refused');
        const rawMs = (await within(rawEnded, 10_000, 'the raw watch ends')) - revokedAt;
        const kubectlMs = (await within(exited, 10_000, 'kubectl get -w exits')) - revokedAt;
        raw.close();
        t.diagnostic(
          // Negative: ended before kubectl's delete had its answer.
          `after the delete: refused ${refusedMs.toFixed(0)} ms, raw watch ended ${rawMs.toFixed(0)} ms, kubectl -w exited ${kubectlMs.toFixed(0)} ms`,
        );
        for (const [what, ms] of [
          ['refused', refusedMs],
          ['raw watch ended', rawMs],
          ['kubectl -w exited', kubectlMs],
        ] as const) {
          assert.ok(ms < revocationBudgetMs, `${what} after ${ms.toFixed(0)} ms`);
        }
        const again = await kubectl(seedKubeconfig(), ['get', 'shoots', '-A']);
        assert.match(again.stderr, /Unauthorized/);
      } finally {
        watcher.kill('SIGKILL');
      }
    });
  });
}

describe('a seed with its own credential: first start, rotation under a running gardenlet, restart', () => {
  let g: TestGarden;
  let dir: string;
  let seed: Seed | undefined;
  const name = 'seed-rotating';
  const gardenKubeconfig = () => join(dir, 'garden.kubeconfig');
  const warnings: string[] = [];
  const logger = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        warnings.push(line);
      },
    },
  );
  const start = () =>
    startSeed({
      name,
      dir: join(dir, 'state'),
      gardenKubeconfig: gardenKubeconfig(),
      logger,
      heartbeatIntervalMs: 200,
    });
  const renewTime = async () => {
    const lease = await g.garden.hosted.client.resource(leaseResource).get(SEED_LEASE_NAMESPACE, name);
    return Date.parse(String((lease.spec as { renewTime?: string } | undefined)?.renewTime));
  };

  before(async () => {
    g = await startTestGarden();
    dir = await mkdtemp(join(tmpdir(), 'transplant-seed-rotating-'));
  });
  after(async () => {
    await seed?.stop();
    await g.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('`transplant seed --bootstrap-kubeconfig` issues the seed its credential on its first start', async () => {
    const child = spawn(
      process.execPath,
      [
        cli,
        'seed',
        '--name',
        name,
        '--garden-kubeconfig',
        gardenKubeconfig(),
        '--bootstrap-kubeconfig',
        g.kubeconfig,
        '--dir',
        join(dir, 'state'),
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'exit');
    try {
      await until(
        async () => {
          const obj = await g.garden.hosted.client.resource(seedResource).find('', name);
          return !!obj && seedReadiness(obj).ready;
        },
        60_000,
        'the seed registered with its own credential',
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    assert.equal((await stat(gardenKubeconfig())).mode & 0o777, 0o600);
    assert.equal(loadKubeconfig(gardenKubeconfig()).token !== undefined, true);
    const credentials = await listSeedCredentials(g.garden.hosted.client, name);
    assert.equal(credentials.length, 1);
  });

  it('a running gardenlet carries on after a rotation, and a restart after it works', async () => {
    seed = await start();
    const operator = operatorClient(g.kubeconfig);
    const old = join(dir, 'old.kubeconfig');
    await copyFile(gardenKubeconfig(), old);
    warnings.length = 0;
    const { revoked } = await rotateSeedCredential(operator.client, operator.garden, name, gardenKubeconfig());
    operator.client.close();
    assert.equal(revoked.length, 1);
    await until(() => refused(old), 10_000, 'the old token is refused');
    const rotatedAt = Date.now();
    // Beats after the old token is refused are the new token's.
    await until(async () => (await renewTime()) > rotatedAt + 500, 20_000, 'the Lease is renewed with the new token');
    assert.deepEqual(
      warnings.filter((w) => /heartbeat|Unauthorized|401/.test(w)),
      [],
      'no request of the gardenlet failed',
    );

    await seed.stop();
    seed = undefined;
    seed = await start();
    const restartedAt = Date.now();
    await until(async () => (await renewTime()) > restartedAt, 20_000, 'the restarted seed renews its Lease');
    const obj = await g.garden.hosted.client.resource(seedResource).get('', name);
    assert.equal(seedReadiness(obj).ready, true, seedReadiness(obj).reason);
  });
});
