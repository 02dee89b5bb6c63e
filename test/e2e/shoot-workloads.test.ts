/**
 * Workloads run in a shoot (issue 13, item 4), through the real kubectl against a real landscape:
 * `kubectl create deployment` gets a ReplicaSet and its pods from the shoot's
 * kube-controller-manager, `kubectl rollout status` completes, `kubectl set image` rolls out a
 * second ReplicaSet, `kubectl rollout history` lists both revisions, `kubectl rollout undo` goes
 * back onto the first, `kubectl scale` adds pods, and `kubectl delete deployment` takes the
 * ReplicaSets and pods along. The shoot's kube-scheduler binds the pods and its node agents (two
 * machines, so that a DaemonSet has more than one node) run them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubectlShoot, startKubectlShoot, statefulSetManifest } from '../helpers/kubectl-shoot.js';
import { until } from '../helpers/processes.js';

describe('workloads in a shoot, through kubectl', () => {
  let workloads: KubectlShoot;
  const ok = (args: string[], input?: string) => workloads.ok(args, input);
  const json = (args: string[]) => workloads.json(args);
  const replicaSetsOfWeb = async () =>
    (await json(['get', 'replicasets', '-l', 'app=web'])).items as {
      metadata: { name: string; annotations: Record<string, string> };
      spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    }[];
  const podsOfWeb = async () =>
    (await json(['get', 'pods', '-l', 'app=web'])).items as { metadata: { name: string } }[];

  before(async () => {
    workloads = await startKubectlShoot({ seeds: ['seed-a'], machines: 2 });
  });

  after(async () => {
    await workloads?.stop();
  });

  it('kubectl create deployment gets a ReplicaSet <name>-<hash> and 3 pods; kubectl rollout status completes', async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    const status = await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.match(status, /deployment "web" successfully rolled out/);
    const [rs, ...more] = await replicaSetsOfWeb();
    assert.equal(more.length, 0);
    assert.match(rs?.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const pods = await podsOfWeb();
    assert.equal(pods.length, 3);
    for (const pod of pods) assert.match(pod.metadata.name, new RegExp(`^${rs?.metadata.name}-[a-z0-9]{5}$`));
    assert.match(await ok(['get', 'deployment', 'web']), /web\s+3\/3\s+3\s+3\s/);
  });

  it('kubectl set image rolls out a second ReplicaSet; kubectl rollout history lists both revisions', async () => {
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const replicaSets = await replicaSetsOfWeb();
    assert.equal(replicaSets.length, 2);
    const current = replicaSets.find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '2');
    assert.equal(current?.spec.replicas, 3);
    assert.equal(current?.spec.template.spec.containers[0]?.image, 'nginx:1.27');
    const history = await ok(['rollout', 'history', 'deployment/web']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=ScalingReplicaSet']);
    assert.match(events, /Scaled up replica set web-\w+ from 0 to/);
  });

  it('kubectl rollout undo goes back onto the first ReplicaSet (revision 3), without a third', async () => {
    await ok(['rollout', 'undo', 'deployment/web']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const replicaSets = await replicaSetsOfWeb();
    assert.equal(replicaSets.length, 2);
    const current = replicaSets.find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '3');
    assert.equal(current?.spec.template.spec.containers[0]?.image, 'nginx');
    assert.equal(current?.spec.replicas, 3);
  });

  it('kubectl scale --replicas=5 adds two pods', async () => {
    await ok(['scale', 'deployment', 'web', '--replicas=5']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.equal((await podsOfWeb()).length, 5);
  });

  it('kubectl delete deployment removes its ReplicaSets and pods', async () => {
    await ok(['delete', 'deployment', 'web']);
    await until(async () => (await replicaSetsOfWeb()).length === 0, 60_000, 'the ReplicaSets are gone');
    await until(async () => (await podsOfWeb()).length === 0, 60_000, 'the pods are gone');
  });

  it('a StatefulSet makes its pods in order; kubectl rollout status, set image and rollout undo work on it', async () => {
    await ok(['apply', '-f', '-'], statefulSetManifest('db', 3, 'postgres:16'));
    await ok(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
    const pods = (await json(['get', 'pods', '-l', 'app=db'])).items as {
      metadata: { name: string; creationTimestamp: string; labels: Record<string, string> };
    }[];
    assert.deepEqual(pods.map((p) => p.metadata.name).sort(), ['db-0', 'db-1', 'db-2']);
    const created = (name: string) => pods.find((p) => p.metadata.name === name)?.metadata.creationTimestamp ?? '';
    assert.ok(created('db-0') <= created('db-1') && created('db-1') <= created('db-2'), 'created in order');
    const sts = await json(['get', 'statefulset', 'db']);
    assert.equal(sts.status.currentRevision, sts.status.updateRevision);
    assert.ok(pods.every((p) => p.metadata.labels['controller-revision-hash'] === sts.status.updateRevision));

    // A new image rolls through the pods; kubectl rollout undo brings the first revision back.
    await ok(['set', 'image', 'statefulset/db', 'db=postgres:17']);
    await ok(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
    await ok(['rollout', 'undo', 'statefulset/db']);
    await ok(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
    const images = (await json(['get', 'pods', '-l', 'app=db'])).items.map(
      (p: { spec: { containers: { image: string }[] } }) => p.spec.containers[0]?.image,
    );
    assert.deepEqual(images, ['postgres:16', 'postgres:16', 'postgres:16']);
    const revisions = (await json(['get', 'controllerrevisions', '-l', 'app=db'])).items as { revision: number }[];
    assert.deepEqual(revisions.map((r) => r.revision).sort(), [2, 3], 'the first revision renumbered, not copied');
    await ok(['delete', 'statefulset', 'db']);
    await until(
      async () => (await json(['get', 'pods', '-l', 'app=db'])).items.length === 0,
      60_000,
      'the StatefulSet pods are gone',
    );
  });

  it('a DaemonSet runs one pod per node, pinned there; kubectl rollout status daemonset completes', async () => {
    const nodes = (await json(['get', 'nodes'])).items.map((n: { metadata: { name: string } }) => n.metadata.name);
    assert.equal(nodes.length, 2, 'the shoot has two worker nodes');
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'agent', image: 'busybox' }] },
        },
      },
    };
    await ok(['apply', '-f', '-'], JSON.stringify(manifest));
    await ok(['rollout', 'status', 'daemonset/agent', '--timeout=90s']);
    const pods = (await json(['get', 'pods', '-l', 'app=agent'])).items as { spec: { nodeName: string } }[];
    assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), [...nodes].sort());
    await ok(['delete', 'daemonset', 'agent']);
  });
});
