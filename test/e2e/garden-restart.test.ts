/**
 * A garden stopped and started again on the same directory: every object comes back with the
 * same resourceVersion and uid, the kubeconfigs it wrote keep working, and a watch resumed from a
 * resourceVersion taken before the restart replays every change made after it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createObject,
  getRaw,
  type Json,
  kubectlOk,
  patchStatus,
  shootManifest,
  shootPath,
  shootsPath,
} from '../helpers/garden-e2e.js';
import { healthySeedConditions, startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { bash, kubectl } from '../helpers/kubectl.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const NS = 'garden-dev';

/** The lists compared across the restart. */
const listPaths = [
  '/api/v1/namespaces',
  '/api/v1/secrets',
  '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  '/apis/rbac.authorization.k8s.io/v1/rolebindings',
  '/apis/core.gardener.cloud/v1beta1/projects',
  '/apis/core.gardener.cloud/v1beta1/seeds',
  '/apis/core.gardener.cloud/v1beta1/shoots',
];

interface WatchEventLine {
  type: string;
  object: Json;
}

describe('garden e2e: restart', () => {
  let first: TestGarden;
  let second: TestGarden | undefined;
  /** Every object by list path and namespace/name, as stored before the stop. */
  let beforeStop: Map<string, Json>;
  let kubeconfigBefore: string;
  let memberKubeconfigBefore: string;
  /** The resourceVersion of the shoot list before the changes the watch must replay. */
  let rvBeforeChanges: string;
  let urlBefore: string;

  async function snapshot(kubeconfig: string): Promise<Map<string, Json>> {
    const objects = new Map<string, Json>();
    for (const path of listPaths) {
      const list = await getRaw(kubeconfig, path);
      for (const item of list.items)
        objects.set(`${path} ${item.metadata.namespace ?? ''}/${item.metadata.name}`, item);
    }
    return objects;
  }

  before(async () => {
    first = await startTestGarden();
    const k = first.kubeconfig;
    await kubectlOk(k, ['apply', '-f', examplesDir]);
    for (const seed of ['seed-a', 'seed-b'])
      await patchStatus(k, 'seed', seed, { conditions: healthySeedConditions() });
    await patchStatus(
      k,
      'shoot',
      'my-shoot',
      { seedName: 'seed-a', lastOperation: { type: 'Reconcile', state: 'Succeeded', progress: 100 } },
      NS,
    );
    const bound = await bash(
      'kubectl get --raw "$P" | jq -c \'.spec.seedName = "seed-b"\' | kubectl replace --raw "$P/binding" -f - | jq -r .spec.seedName',
      { KUBECONFIG: k, P: shootPath(NS, 'my-shoot') },
    );
    assert.equal(bound.stdout, 'seed-b\n', bound.stderr);
    await createObject(k, shootManifest(NS, 'doomed'));

    // The watch resumes from here: a modification, a creation and a deletion follow.
    rvBeforeChanges = (await getRaw(k, shootsPath())).metadata.resourceVersion;
    // (The spec is frozen until the source seed starts the Migrate; labels may change.)
    await kubectlOk(k, ['label', 'shoot', 'my-shoot', '-n', NS, 'restart=before']);
    await createObject(k, shootManifest(NS, 'born', { labels: { when: 'before-restart' } }));
    await kubectlOk(k, ['delete', 'shoot', 'doomed', '-n', NS]);

    beforeStop = await snapshot(k);
    kubeconfigBefore = await readFile(first.kubeconfig, 'utf8');
    memberKubeconfigBefore = await readFile(first.memberKubeconfig, 'utf8');
    urlBefore = first.garden.url;

    await first.stop();
    const refused = await kubectl(k, ['get', 'shoots', '-A', '--request-timeout=2s']);
    assert.notEqual(refused.code, 0, 'the garden is down');
    second = await startTestGarden({}, first.dir);
  });

  after(async () => {
    if (second) await second.cleanup();
    else await first?.cleanup();
  });

  it('serves on the same address with the same kubeconfigs, which keep working', async () => {
    assert.equal(second!.garden.url, urlBefore);
    assert.equal(await readFile(second!.kubeconfig, 'utf8'), kubeconfigBefore);
    assert.equal(await readFile(second!.memberKubeconfig, 'utf8'), memberKubeconfigBefore);
    // The file written before the restart, used as it is.
    const shoots = await kubectlOk(first.kubeconfig, [
      'get',
      'shoots',
      '-n',
      NS,
      '-o',
      'custom-columns=NAME:.metadata.name,SEED:.spec.seedName',
      '--no-headers',
    ]);
    assert.deepEqual(
      shoots
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)),
      [
        ['born', '<none>'],
        ['my-shoot', 'seed-b'],
      ],
    );
    const member = await kubectl(first.memberKubeconfig, [
      'auth',
      'can-i',
      'update',
      'shoots',
      '--subresource',
      'binding',
      '-n',
      NS,
    ]);
    assert.equal(member.stdout.trim(), 'no');
    const memberGet = await kubectlOk(first.memberKubeconfig, [
      'get',
      'shoot',
      'my-shoot',
      '-o',
      'jsonpath={.spec.seedName}',
    ]);
    assert.equal(memberGet, 'seed-b');
  });

  it('keeps every object with the same resourceVersion, uid and content', async () => {
    const afterStart = await snapshot(second!.kubeconfig);
    assert.deepEqual([...afterStart.keys()].sort(), [...beforeStop.keys()].sort());
    for (const [key, before] of beforeStop) {
      const after = afterStart.get(key);
      assert.equal(after.metadata.uid, before.metadata.uid, key);
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, key);
      assert.deepEqual(after, before, key);
    }
    const shoot = afterStart.get(`/apis/core.gardener.cloud/v1beta1/shoots ${NS}/my-shoot`);
    assert.equal(shoot.spec.seedName, 'seed-b');
    assert.equal(shoot.status.seedName, 'seed-a');
    assert.equal(shoot.metadata.labels.restart, 'before');
    assert.equal(shoot.metadata.generation, 2);
    assert.ok(beforeStop.size > 20, `a garden's worth of objects: ${beforeStop.size}`);
  });

  it('resumes a watch from a resourceVersion before the restart and replays every later change', async () => {
    const k = second!.kubeconfig;
    // One more change, after the restart: revisions continue where they were.
    const highest = Math.max(...[...beforeStop.values()].map((o) => Number(o.metadata.resourceVersion)));
    await createObject(k, shootManifest(NS, 'reborn'));
    const reborn = await getRaw(k, shootPath(NS, 'reborn'));
    assert.ok(Number(reborn.metadata.resourceVersion) > highest, `${reborn.metadata.resourceVersion} > ${highest}`);

    const started = Date.now();
    const out = await kubectlOk(k, [
      'get',
      '--raw',
      `/apis/core.gardener.cloud/v1beta1/shoots?watch=true&resourceVersion=${rvBeforeChanges}&timeoutSeconds=2`,
    ]);
    assert.ok(Date.now() - started >= 1500, 'the watch stays open until timeoutSeconds');
    const events: WatchEventLine[] = out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [
        ['MODIFIED', 'my-shoot'],
        ['ADDED', 'born'],
        ['DELETED', 'doomed'],
        ['ADDED', 'reborn'],
      ],
    );
    const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.ok(versions[0]! > Number(rvBeforeChanges));
    for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! > versions[i - 1]!, `increasing: ${versions}`);
    assert.equal(events[0]!.object.metadata.labels.restart, 'before');
    assert.equal(events[0]!.object.spec.seedName, 'seed-b');
    assert.equal(events[0]!.object.kind, 'Shoot');
    assert.deepEqual(events[1]!.object.metadata.labels, { when: 'before-restart' });
    assert.equal(
      events[1]!.object.metadata.uid,
      beforeStop.get(`/apis/core.gardener.cloud/v1beta1/shoots ${NS}/born`).metadata.uid,
    );
    assert.equal(events[3]!.object.metadata.uid, reborn.metadata.uid);

    // A watch from the latest resourceVersion has nothing to replay.
    const latest = (await getRaw(k, shootsPath())).metadata.resourceVersion;
    const quiet = await kubectlOk(k, [
      'get',
      '--raw',
      `${shootsPath()}?watch=true&resourceVersion=${latest}&timeoutSeconds=1`,
    ]);
    assert.equal(quiet.trim(), '');
  });
});
