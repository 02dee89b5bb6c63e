/**
 * Bad shoot specs are rejected at the garden API with a Status naming the field, and nothing is
 * stored: an unknown seed, a namespace that belongs to no project, invalid names, a worker pool
 * without a name, and changes of immutable fields.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertRejected,
  createObject,
  getRaw,
  kubectlOk,
  kubectlVerbose,
  shootManifest,
  shootPath,
  shootsPath,
} from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';

const NS = 'garden-dev';

describe('garden e2e: bad shoot specs', () => {
  let g: TestGarden;
  before(async () => {
    g = await startTestGarden();
    await createObject(g.kubeconfig, shootManifest(NS, 'good'));
  });
  after(async () => {
    await g.cleanup();
  });

  const create = (manifest: object) => kubectlVerbose(g.kubeconfig, ['create', '-f', '-'], JSON.stringify(manifest));
  const absent = async (namespace: string, name: string) =>
    assert.notEqual(
      (await kubectl(g.kubeconfig, ['get', 'shoot', '-n', namespace, name])).code,
      0,
      `${name} must not be stored`,
    );

  it('an unknown seed', async () => {
    assertRejected(await create(shootManifest(NS, 'lost', { seedName: 'no-such-seed' })), {
      code: 422,
      reason: 'Invalid',
      message: 'no-such-seed',
      field: 'spec.seedName',
    });
    await absent(NS, 'lost');
  });

  it('a namespace that belongs to no project', async () => {
    await kubectlOk(g.kubeconfig, ['create', 'namespace', 'loose']);
    assertRejected(await create(shootManifest('loose', 'stray')), {
      code: 422,
      reason: 'Invalid',
      message: 'belongs to no project',
      field: 'metadata.namespace',
    });
    await absent('loose', 'stray');
  });

  it('an invalid name', async () => {
    assertRejected(await create(shootManifest(NS, 'Not_A_Name')), {
      code: 422,
      reason: 'Invalid',
      message: 'RFC 1123',
      field: 'metadata.name',
    });
    const list = await getRaw<{ items: { metadata: { name: string } }[] }>(g.kubeconfig, shootsPath(NS));
    assert.deepEqual(
      list.items.map((s) => s.metadata.name),
      ['good'],
    );
  });

  it('a worker pool without a name, and two pools of the same name', async () => {
    const unnamed = shootManifest(NS, 'nameless', {
      spec: { provider: { type: 'local', workers: [{ machine: { type: 'local' }, minimum: 1, maximum: 1 }] } },
    });
    assertRejected(await create(unnamed), {
      code: 422,
      reason: 'Invalid',
      message: 'worker pool needs a name',
      field: 'spec.provider.workers[0].name',
    });
    await absent(NS, 'nameless');
    const twice = shootManifest(NS, 'twice', {
      spec: { provider: { type: 'local', workers: [{ name: 'a' }, { name: 'a' }] } },
    });
    assertRejected(await create(twice), {
      code: 422,
      reason: 'Invalid',
      message: 'Duplicate value',
      field: 'spec.provider.workers[1].name',
    });
    await absent(NS, 'twice');
  });

  it('changes of immutable fields: region and provider type', async () => {
    const before = await getRaw<{ metadata: { resourceVersion: string } }>(g.kubeconfig, shootPath(NS, 'good'));
    for (const [patch, field] of [
      [{ spec: { region: 'eu-west-1' } }, 'spec.region'],
      [{ spec: { provider: { type: 'aws' } } }, 'spec.provider.type'],
    ] as const) {
      const result = await kubectlVerbose(g.kubeconfig, [
        'patch',
        'shoot',
        '-n',
        NS,
        'good',
        '--type',
        'merge',
        '-p',
        JSON.stringify(patch),
      ]);
      assertRejected(result, { code: 422, reason: 'Invalid', message: 'field is immutable', field });
    }
    const afterwards = await getRaw<{ metadata: { resourceVersion: string } }>(g.kubeconfig, shootPath(NS, 'good'));
    assert.equal(afterwards.metadata.resourceVersion, before.metadata.resourceVersion);
  });
});
