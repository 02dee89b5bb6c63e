import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { seedResource } from '../../src/api/core-gardener/seed.js';
import { seedReadiness } from '../../src/api/core-gardener/seed-readiness.js';
import { checked } from '../../src/client/client.js';
import { issueSeedKubeconfigInDir } from '../../src/garden/seed-credentials.js';
import { type Seed, startSeed } from '../../src/seed/seed.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/processes.js';

describe('a seed registers in the garden and keeps its heartbeat', () => {
  let g: TestGarden;
  let seedDir: string;
  let seed: Seed | undefined;

  before(async () => {
    g = await startTestGarden({ seedLeaseGracePeriodMs: 1500 });
    seedDir = await mkdtemp(join(tmpdir(), 'transplant-seed-'));
    await issueSeedKubeconfigInDir(g.dir, 'seed-x', join(seedDir, 'garden.kubeconfig'));
    seed = await startSeed({
      name: 'seed-x',
      dir: join(seedDir, 'state'),
      gardenKubeconfig: join(seedDir, 'garden.kubeconfig'),
      logger: pino({ level: 'silent' }),
      backup: { provider: 'local', region: 'local', root: join(seedDir, 'backups') },
      heartbeatIntervalMs: 300,
    });
  });
  after(async () => {
    await seed?.stop();
    await g.cleanup();
    await rm(seedDir, { recursive: true, force: true });
  });

  it('the Seed exists with spec.backup and is Ready', async () => {
    const obj = checked(seedResource, await g.garden.server.store('core.gardener.cloud', 'seeds').get('', 'seed-x'));
    assert.deepEqual(obj.spec.backup?.provider, 'local');
    assert.equal(seedReadiness(obj).ready, true, seedReadiness(obj).reason);
    const table = await kubectl(g.kubeconfig, ['get', 'seeds', 'seed-x']);
    assert.match(
      table.stdout,
      /seed-x\s+Ready\s+Reconcile Succeeded \(100%\)\s+local\s+local\s+\S+\s+v1\.0\.0-transplant\s+v1\.31\.0-transplant/,
    );
    const status = obj.status as { lastOperation: { lastUpdateTime: string }; kubernetesVersion: string };
    assert.match(status.lastOperation.lastUpdateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('the gardenlet may not act as an operator', async () => {
    const result = await kubectl(join(seedDir, 'garden.kubeconfig'), [
      'auth',
      'can-i',
      'update',
      'shoots',
      '--subresource',
      'binding',
      '-n',
      'garden-dev',
    ]);
    // The SeedAuthorizer refuses it, and says why.
    assert.equal(result.stdout.trim(), 'no - seeds may not update shoots/binding');
  });

  it('the seed API serves its admin kubeconfig', async () => {
    const result = await kubectl(seed!.adminKubeconfig, ['get', 'namespaces', '-o', 'name']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /namespace\/garden/);
  });

  it('a stopped seed turns Unknown in the garden', async () => {
    await seed!.stop();
    seed = undefined;
    await until(
      async () => {
        const table = await kubectl(g.kubeconfig, ['get', 'seeds', 'seed-x', '--no-headers']);
        return /seed-x\s+(Unknown|NotReady)/.test(table.stdout);
      },
      10_000,
      'the seed is reported not ready',
    );
    const obj = await g.garden.server.store('core.gardener.cloud', 'seeds').get('', 'seed-x');
    const ready = (obj.status as { conditions: { type: string; status: string }[] }).conditions.find(
      (c) => c.type === 'GardenletReady',
    );
    assert.equal(ready?.status, 'Unknown');
  });
});
