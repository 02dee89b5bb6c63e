/**
 * The garden on SQLite with an advertised address besides its listen address: the kubeconfigs it
 * writes point at the first advertised address, its serving certificate names every advertised
 * host plus the listen address, and kubectl works with the kubeconfig.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';

describe('garden listen and advertised addresses (SQLite)', () => {
  let garden: TestGarden;
  before(async () => {
    garden = await startTestGarden({ host: '127.0.0.1', advertise: ['localhost', '10.99.0.7:7443'] });
  });
  after(() => garden.cleanup());

  it('writes kubeconfigs with the first advertised address and the listen port', async () => {
    const config = parseYaml(await readFile(garden.kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
    };
    const port = new URL(garden.garden.hosted.listenUrl).port;
    assert.equal(config.clusters[0]!.cluster.server, `https://localhost:${port}`);
    assert.equal(garden.garden.url, `https://localhost:${port}`);
    const res = await kubectl(garden.kubeconfig, ['get', 'namespace', 'garden', '-o', 'name']);
    assert.equal(res.code, 0, res.stderr);
  });

  it('names every advertised host and the listen address in its serving certificate', async () => {
    const cert = new X509Certificate(await readFile(join(garden.dir, 'pki', 'apiserver.crt'), 'utf8'));
    const names = cert.subjectAltName ?? '';
    for (const expected of ['DNS:localhost', 'IP Address:10.99.0.7', 'IP Address:127.0.0.1']) {
      assert.ok(names.includes(expected), `${expected} in ${names}`);
    }
  });
});
