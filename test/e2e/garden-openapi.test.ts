/**
 * The garden's OpenAPI with Gardener's schemas, as kubectl uses it: `kubectl explain` answers for
 * the fields of every garden kind, and a misspelt field is refused by the server's strict field
 * validation (kubectl's default), reported under `--validate=warn` and dropped under
 * `--validate=false`, as Gardener's API server does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectlOk, shootManifest } from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';

const NS = 'garden-dev';
const GARDEN_GROUPS = ['core.gardener.cloud', 'security.gardener.cloud'];

describe('garden e2e: OpenAPI schemas', () => {
  let g: TestGarden;

  before(async () => {
    g = await startTestGarden();
  });

  after(async () => {
    await g?.cleanup();
  });

  it('kubectl explain describes every garden kind and each of its top-level fields', async () => {
    const resources: string[] = [];
    for (const group of GARDEN_GROUPS) {
      const listed = await kubectl(g.kubeconfig, ['api-resources', '--api-group', group, '-o', 'name']);
      assert.equal(listed.code, 0, listed.stderr);
      resources.push(...listed.stdout.split('\n').filter((l) => l.trim() !== ''));
    }
    assert.ok(resources.includes('shoots.core.gardener.cloud'), resources.join(' '));
    for (const resource of resources) {
      const kind = await kubectlOk(g.kubeconfig, ['explain', resource]);
      assert.match(kind, /DESCRIPTION:\n\s+\S/, `${resource}: ${kind}`);
      const fields = [...kind.matchAll(/^ {2}(\w+)\t/gm)].map((m) => m[1]!);
      assert.ok(fields.includes('metadata'), `${resource}: ${kind}`);
      for (const field of fields.filter((f) => !['apiVersion', 'kind', 'metadata'].includes(f))) {
        const explained = await kubectlOk(g.kubeconfig, ['explain', `${resource}.${field}`]);
        assert.match(explained, new RegExp(`FIELD: ${field} <`), `${resource}.${field}: ${explained}`);
      }
    }
  });

  it('kubectl explain answers for the fields an operator asks about, with a description', async () => {
    const cases: [string, RegExp][] = [
      ['shoot.spec.seedName', /FIELD: seedName <string>\s+DESCRIPTION:\s+Seed that hosts the control plane/],
      ['shoot.spec.provider.workers.machine.type', /FIELD: type <string>\s+DESCRIPTION:\s+Machine type/],
      ['shoot.status.migrationStartTime', /FIELD: migrationStartTime <string>/],
      ['seed.spec.backup', /FIELD: backup <Backup>\s+DESCRIPTION:\s+Object store/],
      ['backupentry.spec.bucketName', /FIELD: bucketName <string>\s+DESCRIPTION:\s+BackupBucket/],
    ];
    for (const [path, expected] of cases) {
      assert.match(await kubectlOk(g.kubeconfig, ['explain', path]), expected, path);
    }
    const missing = await kubectl(g.kubeconfig, ['explain', 'shoot.spec.seedNmae']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /field "seedNmae" does not exist/);
  });

  it('kubectl apply refuses a misspelt field naming it, and stores nothing', async () => {
    const manifest = shootManifest(NS, 'misspelt', { spec: { seedNmae: 'seed-a' } });
    const refused = await kubectl(g.kubeconfig, ['apply', '-f', '-'], JSON.stringify(manifest));
    assert.notEqual(refused.code, 0, refused.stdout);
    assert.match(refused.stderr, /strict decoding error: unknown field "spec\.seedNmae"/);
    const get = await kubectl(g.kubeconfig, ['get', 'shoot', 'misspelt', '-n', NS]);
    assert.match(get.stderr, /NotFound|not found/);
  });

  it('--validate=warn reports the field and --validate=false drops it silently, as Kubernetes does', async () => {
    const warned = shootManifest(NS, 'warned', { spec: { seedNmae: 'seed-a' } });
    const warn = await kubectl(g.kubeconfig, ['create', '--validate=warn', '-f', '-'], JSON.stringify(warned));
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /Warning: unknown field "spec\.seedNmae"/);

    const ignored = shootManifest(NS, 'ignored', { spec: { seedNmae: 'seed-a' } });
    const ignore = await kubectl(g.kubeconfig, ['apply', '--validate=false', '-f', '-'], JSON.stringify(ignored));
    assert.equal(ignore.code, 0, ignore.stderr);
    assert.equal(ignore.stderr, '');
    for (const name of ['warned', 'ignored']) {
      const stored = JSON.parse(await kubectlOk(g.kubeconfig, ['get', 'shoot', name, '-n', NS, '-o', 'json']));
      assert.equal(stored.spec.seedNmae, undefined, name);
      assert.equal(stored.spec.region, 'local', name);
    }
  });
});
