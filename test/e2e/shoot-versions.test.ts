/**
 * Shoots on the oldest and the newest Kubernetes version the `local` CloudProfile offers, on one
 * landscape: each is created, its API server's /version and its Node's kubelet version report the
 * shoot's version, and kubectl works against both (1.27 through the dispatcher's kubectl.1.27;
 * 1.36, a preview version named exactly, through its built-in client: docs/garden-api.md).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../helpers/api-client.js';
import { shootManifest } from '../helpers/garden-e2e.js';
import { kubectl } from '../helpers/kubectl.js';
import { examplesDir, startLandscape, type TestLandscape } from '../helpers/landscape.js';
import { eventually } from '../helpers/processes.js';

const NS = 'garden-dev';
/** Name, version and networks (apart from each other's, on the one seed). */
const SHOOTS = [
  { name: 'oldest', version: '1.27.1', cidrs: ['10.50.0.0/16', '10.51.0.0/16', '10.52.0.0/16'] },
  { name: 'newest', version: '1.36.0', cidrs: ['10.60.0.0/16', '10.61.0.0/16', '10.62.0.0/16'] },
] as const;

describe('shoots on the oldest and newest offered Kubernetes versions', () => {
  let l: TestLandscape;
  const kubeconfigs = new Map<string, string>();

  before(async () => {
    l = await startLandscape({ seeds: ['seed-a'] });
    const applied = await kubectl(l.garden, ['apply', '-f', join(examplesDir, '10-project.yaml')]);
    assert.equal(applied.code, 0, applied.stderr);
    for (const { name, version, cidrs } of SHOOTS) {
      const manifest = shootManifest(NS, name, {
        seedName: 'seed-a',
        spec: {
          kubernetes: { version },
          networking: { type: 'calico', nodes: cidrs[0], pods: cidrs[1], services: cidrs[2] },
        },
      });
      const created = await kubectl(l.garden, ['create', '-f', '-'], JSON.stringify(manifest));
      assert.equal(created.code, 0, created.stderr);
    }
    for (const { name } of SHOOTS) {
      await l.waitForOperation(NS, name, 'Create', 180_000);
      kubeconfigs.set(name, await l.adminKubeconfig(NS, name, join(l.dir, `${name}.kubeconfig`)));
    }
  });

  after(async () => {
    await l?.stop();
  });

  for (const { name, version } of SHOOTS) {
    it(`${name}: /version and the Node report ${version}`, async () => {
      const kubeconfig = kubeconfigs.get(name)!;
      const served = await rawRequest(kubeconfig, 'GET', '/version');
      assert.equal(served.status, 200, served.text);
      const [major, minor] = version.split('.');
      assert.deepEqual(
        { major: served.json.major, minor: served.json.minor, gitVersion: served.json.gitVersion },
        { major, minor, gitVersion: `v${version}` },
      );
      const node = await eventually(
        async () => {
          const nodes = await kubectl(kubeconfig, ['get', 'nodes', '-o', 'json']);
          assert.equal(nodes.code, 0, nodes.stderr);
          return JSON.parse(nodes.stdout).items[0];
        },
        60_000,
        `a node of ${name}`,
      );
      assert.equal(node.status.nodeInfo.kubeletVersion, `v${version}`);
      const table = await kubectl(kubeconfig, ['get', 'nodes']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, new RegExp(`\\sv${version.replace(/\./g, '\\.')}\\s*$`, 'm'));
    });
  }
});
