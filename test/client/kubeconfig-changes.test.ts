import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildKubeconfig, writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { kubeconfigChanges } from '../../src/client/kubeconfig-file.js';

const kubeconfig = (server: string) =>
  buildKubeconfig({ clusterName: 'c', server, caPem: 'CA', user: { name: 'u', token: 't' } });

describe('kubeconfigChanges', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeconfig-changes-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the credentials once after every change of the file, nothing in between', async () => {
    const path = join(dir, 'kubeconfig');
    await writeKubeconfig(path, kubeconfig('https://127.0.0.1:1'));
    const changes = kubeconfigChanges(path);
    assert.equal(changes(), undefined, 'unchanged since it was read');
    await writeKubeconfig(path, kubeconfig('https://127.0.0.1:2'));
    assert.equal(changes()?.server, 'https://127.0.0.1:2');
    assert.equal(changes(), undefined, 'once');
  });

  it('a file that cannot be read yet is read again at the next call', async () => {
    const path = join(dir, 'half');
    await writeKubeconfig(path, kubeconfig('https://127.0.0.1:1'));
    const changes = kubeconfigChanges(path);
    await writeFile(path, 'clusters: [');
    assert.equal(changes(), undefined);
    await writeKubeconfig(path, kubeconfig('https://127.0.0.1:3'));
    assert.equal(changes()?.server, 'https://127.0.0.1:3');
  });
});
