/**
 * The garden kinds around a shoot with kubectl: Gardener's local setup applied as it is
 * (CloudProfile, Project, Secret + SecretBinding, Secret + CredentialsBinding, a Shoot naming each),
 * their tables, the shoots Gardener's admission refuses (422 naming the field, nothing stored),
 * Quotas, and what project members may do with them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  assertRejected,
  getRaw,
  type Json,
  kubectlOk,
  kubectlVerbose,
  parseTable,
  shootManifest,
  shootPath,
} from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';

const localSetupDir = fileURLToPath(new URL('../../../examples/gardener-local/', import.meta.url));
const NS = 'garden-local';

describe('garden e2e: CloudProfile, bindings, Quota and shoot admission', () => {
  let g: TestGarden;
  let firstApply: string;

  before(async () => {
    g = await startTestGarden({ localSetup: false });
    firstApply = await kubectlOk(g.kubeconfig, ['apply', '-f', localSetupDir]);
  });

  after(async () => {
    await g?.cleanup();
  });

  const shootNames = async () =>
    (await kubectlOk(g.kubeconfig, ['get', 'shoots', '-n', NS, '-o', 'name'])).split('\n').filter(Boolean).sort();

  it('applies Gardener’s local setup, and again without a change', async () => {
    for (const line of [
      'cloudprofile.core.gardener.cloud/local created',
      'project.core.gardener.cloud/local created',
      'secretbinding.core.gardener.cloud/local created',
      'credentialsbinding.security.gardener.cloud/local created',
      'shoot.core.gardener.cloud/local created',
      'shoot.core.gardener.cloud/local-cb created',
    ]) {
      assert.ok(firstApply.includes(line), `${line} in:\n${firstApply}`);
    }
    // kubectl sends `version: "1.33"` again (it differs from the stored 1.33.0): the server
    // defaults it back, so the shoot stays as it was, generation and resourceVersion alike.
    const before = await getRaw<Json>(g.kubeconfig, shootPath(NS, 'local'));
    const again = await kubectlOk(g.kubeconfig, ['apply', '-f', localSetupDir]);
    assert.doesNotMatch(again, /created/, again);
    assert.deepEqual(
      again.split('\n').filter((l) => l.includes('configured')),
      ['shoot.core.gardener.cloud/local configured'],
    );
    const after = await getRaw<Json>(g.kubeconfig, shootPath(NS, 'local'));
    assert.equal(after.metadata.generation, before.metadata.generation);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('defaults the shoot’s Kubernetes minor to its latest patch and its machine image from the profile', async () => {
    const local = await getRaw<Json>(g.kubeconfig, shootPath(NS, 'local'));
    assert.equal(local.spec.kubernetes.version, '1.33.0');
    assert.deepEqual(local.spec.provider.workers[0].machine.image, { name: 'local', version: '1.0.0' });
    const cb = await getRaw<Json>(g.kubeconfig, shootPath(NS, 'local-cb'));
    assert.equal(cb.spec.credentialsBindingName, 'local');
    assert.equal(cb.spec.kubernetes.version, '1.31.1');
  });

  it('prints Gardener’s columns for the new kinds', async () => {
    const profiles = parseTable(await kubectlOk(g.kubeconfig, ['get', 'cloudprofiles']));
    assert.deepEqual(
      profiles.map((r) => [r.NAME, r.PROVIDER]),
      [['local', 'local']],
    );
    const secretBindings = parseTable(await kubectlOk(g.kubeconfig, ['get', 'secretbindings', '-n', NS]));
    assert.deepEqual(
      secretBindings.map((r) => [r.NAME, r.SECRET, r.PROVIDER]),
      [['local', 'garden-local/local', 'local']],
    );
    const header = (await kubectlOk(g.kubeconfig, ['get', 'credentialsbindings', '-n', NS])).split('\n')[0]!;
    assert.deepEqual(header.split(/\s{2,}/).filter(Boolean), ['NAME', 'PROVIDER', 'APIVERSION', 'KIND', 'NAME', 'AGE']);
    const row = (await kubectlOk(g.kubeconfig, ['get', 'credentialsbindings', '-n', NS, '--no-headers'])).trim();
    assert.match(row, /^local\s+local\s+v1\s+Secret\s+garden-local\/local-credentials\s+\d+s$/);
    const resources = await kubectlOk(g.kubeconfig, ['api-resources', '--api-group=security.gardener.cloud']);
    assert.match(resources, /credentialsbindings\s+security\.gardener\.cloud\/v1alpha1\s+true\s+CredentialsBinding/);
  });

  it('refuses shoots naming what the profile does not offer or no binding of theirs: 422 at the field, nothing stored', async () => {
    // An expired version, and a binding for another provider, for the cases below.
    await kubectlOk(g.kubeconfig, [
      'patch',
      'cloudprofile',
      'local',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/spec/kubernetes/versions/-","value":{"version":"1.30.9","classification":"deprecated","expirationDate":"2024-01-01T00:00:00Z"}}]',
    ]);
    await kubectlOk(
      g.kubeconfig,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'SecretBinding',
        metadata: { name: 'aws', namespace: NS },
        secretRef: { name: 'local' },
        provider: { type: 'aws' },
      }),
    );
    const before = await shootNames();
    const pool = (machine: Json) => ({
      provider: { type: 'local', workers: [{ name: 'local', machine, minimum: 1, maximum: 1 }] },
    });
    const cases: [string, Json, string, RegExp][] = [
      ['profile', { cloudProfileName: 'gcp' }, 'spec.cloudProfileName', /cloud profile "gcp" does not exist/],
      ['region', { region: 'europe' }, 'spec.region', /Unsupported value: "europe": supported values: "local"/],
      ['version', { kubernetes: { version: '1.26.0' } }, 'spec.kubernetes.version', /Unsupported value: "1\.26\.0"/],
      ['expired', { kubernetes: { version: '1.30.9' } }, 'spec.kubernetes.version', /Unsupported value: "1\.30\.9"/],
      [
        'machine',
        pool({ type: 'm5.large' }),
        'spec.provider.workers[0].machine.type',
        /Unsupported value: "m5\.large": supported values: "local"/,
      ],
      [
        'image',
        pool({ type: 'local', image: { name: 'gardenlinux', version: '1592.1.0' } }),
        'spec.provider.workers[0].machine.image.name',
        /Unsupported value: "gardenlinux"/,
      ],
      ['binding', { secretBindingName: 'none' }, 'spec.secretBindingName', /SecretBinding "none" does not exist/],
      ['provider', { secretBindingName: 'aws' }, 'spec.secretBindingName', /provider type "aws" does not match/],
    ];
    for (const [name, spec, field, message] of cases) {
      const manifest = shootManifest(NS, `refused-${name}`, { spec });
      const result = await kubectlVerbose(g.kubeconfig, ['create', '-f', '-'], JSON.stringify(manifest));
      assertRejected(result, {
        code: 422,
        reason: 'Invalid',
        message: new RegExp(`"refused-${name}" is invalid: ${field.replace(/[[\].]/g, '\\$&')}: .*${message.source}`),
        field,
      });
    }
    assert.deepEqual(await shootNames(), before);
    assert.deepEqual(before, ['shoot.core.gardener.cloud/local', 'shoot.core.gardener.cloud/local-cb']);
  });

  it('refuses an update to a version not offered, a downgrade and a skipped minor', async () => {
    const patch = (version: string) =>
      kubectlVerbose(g.kubeconfig, [
        'patch',
        'shoot',
        '-n',
        NS,
        'local-cb',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { kubernetes: { version } } }),
      ]);
    assertRejected(await patch('1.30.9'), { code: 422, reason: 'Invalid', message: /Unsupported value: "1\.30\.9"/ });
    assertRejected(await patch('1.30.0'), {
      code: 422,
      reason: 'Invalid',
      message: 'kubernetes version downgrade is not supported',
      field: 'spec.kubernetes.version',
    });
    assertRejected(await patch('1.33.0'), {
      code: 422,
      reason: 'Invalid',
      message: 'kubernetes version upgrade cannot skip a minor version',
    });
    assert.equal((await patch('1.32')).code, 0);
    assert.equal((await getRaw<Json>(g.kubeconfig, shootPath(NS, 'local-cb'))).spec.kubernetes.version, '1.32.0');
  });

  it('stores Quotas with Gardener’s columns', async () => {
    await kubectlOk(
      g.kubeconfig,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'Quota',
        metadata: { name: 'trial', namespace: NS },
        spec: {
          scope: { apiVersion: 'core.gardener.cloud/v1beta1', kind: 'Project' },
          clusterLifetimeDays: 14,
          metrics: { cpu: '200', memory: '4000Gi' },
        },
      }),
    );
    const rows = parseTable(await kubectlOk(g.kubeconfig, ['get', 'quotas', '-n', NS]));
    assert.deepEqual(
      rows.map((r) => [r.NAME, r.SCOPE, r['CLUSTER LIFETIME']]),
      [['trial', 'core.gardener.cloud/v1beta1.Project', '14 days']],
    );
    const bad = await kubectl(
      g.kubeconfig,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'Quota',
        metadata: { name: 'bad', namespace: NS },
        spec: { scope: { apiVersion: 'v1', kind: 'Pod' }, metrics: {} },
      }),
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.scope: Unsupported value: "v1\.Pod"/);
  });

  it('lets project members manage their bindings and read profiles, not write them', async () => {
    const can = async (...args: string[]) =>
      (await kubectl(g.memberKubeconfig, ['auth', 'can-i', ...args])).stdout.trim();
    assert.equal(await can('create', 'secretbindings.core.gardener.cloud', '-n', 'garden-dev'), 'yes');
    assert.equal(await can('create', 'credentialsbindings.security.gardener.cloud', '-n', 'garden-dev'), 'yes');
    assert.equal(await can('list', 'quotas.core.gardener.cloud', '-n', 'garden-dev'), 'yes');
    assert.equal(await can('create', 'quotas.core.gardener.cloud', '-n', 'garden-dev'), 'no');
    assert.equal(await can('list', 'cloudprofiles.core.gardener.cloud'), 'yes');
    assert.equal(await can('create', 'cloudprofiles.core.gardener.cloud'), 'no');
    const created = await kubectl(g.memberKubeconfig, ['create', '-f', join(localSetupDir, '00-cloudprofile.yaml')]);
    assert.match(created.stderr, /forbidden/);
  });
});
