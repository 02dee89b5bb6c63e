/**
 * A living cluster across the seed document's migration (issue 13): a shoot with two machines
 * running the Prometheus Operator as published (its CRDs, RBAC, Deployment and Service, and the
 * getting-started example's application, ServiceMonitor and Prometheus, test/fixtures/), a
 * Deployment's pods behind a Service, a finished Job, a StatefulSet, and custom resources of a CRD
 * of our own — all installed with kubectl as a user would, `kubectl apply --server-side` — moves
 * from seed-a to seed-b. Afterwards every
 * object is identical (every field: content, uid, resourceVersion, managedFields), every pod is the
 * same pod on the same node and still Running, no Deployment rolled, and no event tells of a pod
 * killed, created or scheduled, or of a node gone NotReady.
 *
 * Only what changes on a healthy cluster by itself is left out of the comparison: Leases (renewed
 * every few seconds), the Nodes' heartbeats (their identity and Ready transitions are compared), and
 * Events (compared by what the new ones say).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import {
  type ClusterSnapshot,
  changesByItself,
  clusterSnapshot,
  differences,
  restingCluster,
} from '../helpers/cluster-snapshot.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  setWorkerMachines,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { WIDGET_GROUP, widgetCrd } from '../helpers/mixed-objects.js';
import { eventually } from '../helpers/processes.js';

const MACHINES = 2;
const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');
const PROMETHEUS_CRDS = join(fixtures, 'crds', 'prometheus-operator');
const PROMETHEUS_BUNDLE = join(fixtures, 'prometheus-operator-bundle');
const REPLICAS = 3;
/** What a move must never cause: reasons of the events of killed, (re)created or rescheduled pods, and of lost nodes. */
const DISRUPTIONS = new Set([
  'Killing',
  'Scheduled',
  'FailedScheduling',
  'SuccessfulCreate',
  'SuccessfulDelete',
  'ScalingReplicaSet',
  'NodeNotReady',
  'TaintManagerEviction',
  'Preempted',
]);

describe('a living cluster across a migration', () => {
  let shoot: ShootOnLandscape;
  const run = async (input: string | undefined, args: string[]) => {
    const result = await kubectl(shoot.kubeconfig, args, input);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const ok = (...args: string[]) => run(undefined, args);
  /** `kubectl apply --server-side -f -` of `object`. */
  const apply = (object: object) => run(JSON.stringify(object), ['apply', '--server-side', '-f', '-']);

  before(async () => {
    shoot = await startShootOnLandscape();
    await setWorkerMachines(shoot.landscape.garden, MACHINES);
  });

  after(async () => {
    await shoot?.stop();
  });

  async function pods(namespace: string, selector: string): Promise<Json[]> {
    return JSON.parse(await ok('get', 'pods', '-n', namespace, '-l', selector, '-o', 'json')).items;
  }

  async function events(): Promise<Json[]> {
    return JSON.parse(await ok('get', 'events', '-A', '-o', 'json')).items;
  }

  /** Nodes by name: uid and when their Ready condition last changed. */
  async function nodes(): Promise<Map<string, string>> {
    const list = JSON.parse(await ok('get', 'nodes', '-o', 'json')).items as Json[];
    return new Map(
      list.map((n) => {
        const ready = n.status.conditions.find((c: Json) => c.type === 'Ready');
        return [n.metadata.name, `${n.metadata.uid} ${ready?.status} since ${ready?.lastTransitionTime}`];
      }),
    );
  }

  let snapshotBefore: ClusterSnapshot;
  let eventsBefore: Set<string>;
  let nodesBefore: Map<string, string>;
  let webPods: Map<string, string>;

  it("installs the Prometheus Operator's published manifests server-side; their schemas refuse a wrong type", async () => {
    await eventually(async () => ((await nodes()).size === MACHINES ? true : undefined), 60_000, `${MACHINES} nodes`);
    await ok('apply', '--server-side', '-f', PROMETHEUS_CRDS);
    await ok('wait', '--for', 'condition=established', '--all', 'crd', '--timeout=60s');
    await ok('apply', '--server-side', '-f', PROMETHEUS_BUNDLE);
    await ok('rollout', 'status', 'deployment/prometheus-operator', '--timeout=120s');
    await ok('rollout', 'status', 'deployment/example-app', '--timeout=120s');
    assert.match(await ok('get', 'servicemonitors'), /example-app/);
    const wrong = await kubectl(
      shoot.kubeconfig,
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'wrong', namespace: 'default' },
        spec: { selector: {}, endpoints: [{ port: 'web', honorLabels: 'yes' }] },
      }),
    );
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /spec\.endpoints\[0\]\.honorLabels: Invalid value: "string"/);
    assert.equal((await kubectl(shoot.kubeconfig, ['get', 'servicemonitor', 'wrong'])).code, 1, 'nothing stored');
  });

  it('runs a Deployment, a Service, a StatefulSet, a finished Job and custom resources on its nodes', async () => {
    await apply(widgetCrd);
    await ok('wait', '--for', 'condition=established', `crd/${widgetCrd.metadata.name}`, '--timeout=60s');
    await ok('create', 'namespace', 'shop');
    await ok('create', 'deployment', 'web', '-n', 'shop', '--image=nginx', `--replicas=${REPLICAS}`);
    await ok('expose', 'deployment', 'web', '-n', 'shop', '--port=80');
    await ok('create', 'job', 'migrate-db', '-n', 'shop', '--image=busybox');
    await apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop' },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } },
      },
    });
    await apply({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name: 'cart', namespace: 'shop' },
      spec: { size: 3, parts: [{ name: 'wheel', count: 4 }] },
    });
    await ok('rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=120s');
    await ok('rollout', 'status', 'statefulset/db', '-n', 'shop', '--timeout=120s');
    await ok('wait', '--for', 'condition=complete', 'job/migrate-db', '-n', 'shop', '--timeout=120s');
    const running = await pods('shop', 'app=web');
    assert.equal(running.length, REPLICAS);
    for (const pod of running) {
      assert.equal(pod.status.phase, 'Running', pod.metadata.name);
      assert.ok(pod.spec.nodeName, `${pod.metadata.name} is bound to a node`);
    }
    const endpoints = JSON.parse(await ok('get', 'endpoints', 'web', '-n', 'shop', '-o', 'json'));
    assert.equal(endpoints.subsets?.[0]?.addresses?.length, REPLICAS, 'the Service has every pod as endpoint');
  });

  it('moves to seed-b with every object identical, every pod the same pod, and nothing disrupted', async () => {
    snapshotBefore = await restingCluster(shoot.client);
    for (const key of [
      'apps/deployments/default/prometheus-operator',
      'monitoring.coreos.com/servicemonitors/default/example-app',
      'monitoring.coreos.com/prometheuses/default/prometheus',
      'apps/deployments/shop/web',
      'batch/jobs/shop/migrate-db',
      `${WIDGET_GROUP}/widgets/shop/cart`,
      'discovery.k8s.io/endpointslices/shop/',
      '/pods/shop/web-',
    ]) {
      assert.ok(
        [...snapshotBefore.keys()].some((k) => k.startsWith(key)),
        `the snapshot holds ${key}…`,
      );
    }
    eventsBefore = new Set((await events()).map((e) => e.metadata.uid));
    nodesBefore = await nodes();
    webPods = new Map((await pods('shop', 'app=web')).map((p) => [p.metadata.uid, p.spec.nodeName]));

    await triggerMigration(shoot.landscape.garden, 'seed-b');
    await shoot.landscape.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 180_000);
    // The controllers, the scheduler and the nodes have had time to act if they were going to.
    await new Promise((resolve) => setTimeout(resolve, 15_000));

    const now = await clusterSnapshot(shoot.client, changesByItself);
    assert.deepEqual(differences(snapshotBefore, now), { added: [], removed: [], changed: [] });
    assert.deepEqual(await nodes(), nodesBefore, 'the same nodes, Ready throughout');
    const webAfter = await pods('shop', 'app=web');
    assert.deepEqual(
      new Map(webAfter.map((p) => [p.metadata.uid, p.spec.nodeName])),
      webPods,
      'the same pods on the same nodes',
    );
    for (const pod of webAfter) assert.equal(pod.status.phase, 'Running', pod.metadata.name);
    const disruptions = (await events()).filter((e) => !eventsBefore.has(e.metadata.uid) && DISRUPTIONS.has(e.reason));
    assert.deepEqual(
      disruptions.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.reason} ${e.message}`),
      [],
    );
    const history = await ok('rollout', 'history', 'deployment/web', '-n', 'shop');
    assert.match(history, /^1\s/m);
    assert.doesNotMatch(history, /^2\s/m, 'no new revision');
    assert.match(await ok('get', 'widget', 'cart', '-n', 'shop'), /cart\s+3/);
  });
});
