/**
 * What a new user does first with a shoot (issue 13), on its real nodes — no stand-ins: the seed
 * runs the shoot's kube-controller-manager and kube-scheduler, and the machines' node agents run
 * the pods. `kubectl create deployment web --image=nginx --replicas=3` gives 3 Running pods spread
 * over the nodes; `kubectl get all -A`, `kubectl rollout status`, `kubectl scale` and a cascading
 * `kubectl delete` behave as on any cluster; `kubectl api-resources` lists the built-in API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import { type ShootOnLandscape, setWorkerMachines, startShootOnLandscape } from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';

const MACHINES = 2;

describe("a shoot's first deployment, on its nodes", () => {
  let shoot: ShootOnLandscape;
  const ok = async (...args: string[]) => {
    const result = await kubectl(shoot.kubeconfig, args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const webPods = async (): Promise<Json[]> =>
    JSON.parse(await ok('get', 'pods', '-n', 'default', '-l', 'app=web', '-o', 'json')).items;
  const runningOnNodes = async (count: number) =>
    eventually(
      async () => {
        const pods = await webPods();
        const running = pods.filter(
          (p) => p.status?.phase === 'Running' && p.spec.nodeName && !p.metadata.deletionTimestamp,
        );
        return pods.length === count && running.length === count ? running : undefined;
      },
      60_000,
      `${count} Running web pods`,
    );

  before(async () => {
    shoot = await startShootOnLandscape({ seeds: ['seed-a'] });
    await setWorkerMachines(shoot.landscape.garden, MACHINES);
    await eventually(
      async () => {
        const nodes = JSON.parse(await ok('get', 'nodes', '-o', 'json')).items as Json[];
        const ready = nodes.filter((n) =>
          n.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === MACHINES ? true : undefined;
      },
      60_000,
      `${MACHINES} Ready nodes`,
    );
  });

  after(async () => {
    await shoot?.stop();
  });

  it('lists the built-in API in kubectl api-resources', async () => {
    const resources = await ok('api-resources', '-o', 'name');
    for (const name of ['pods', 'deployments.apps', 'jobs.batch', 'customresourcedefinitions.apiextensions.k8s.io']) {
      assert.match(resources, new RegExp(`^${name.replace(/\./g, '\\.')}$`, 'm'));
    }
  });

  it('kubectl create deployment gives 3 Running pods on the nodes, shown by kubectl get all -A', async () => {
    await ok('create', 'deployment', 'web', '--image=nginx', '--replicas=3');
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    const pods = await runningOnNodes(3);
    const nodes = new Set(pods.map((p) => p.spec.nodeName));
    assert.equal(nodes.size, MACHINES, 'spread over both nodes');
    for (const pod of pods) {
      assert.ok(pod.status.podIP, `${pod.metadata.name} has an IP`);
      assert.ok(
        pod.status.conditions.some((c: Json) => c.type === 'Ready' && c.status === 'True'),
        `${pod.metadata.name} is Ready`,
      );
      assert.equal(pod.status.containerStatuses[0].image, 'nginx');
    }
    await ok('expose', 'deployment', 'web', '--port=80');
    const all = await ok('get', 'all', '-A');
    assert.match(all, /deployment\.apps\/web\s+3\/3\s+3\s+3/);
    assert.match(all, /replicaset\.apps\/web-[a-z0-9]+\s+3\s+3\s+3/);
    assert.match(all, /service\/web\s+ClusterIP/);
    assert.equal((all.match(/pod\/web-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running/g) ?? []).length, 3);
    const wide = await ok('get', 'pods', '-o', 'wide');
    for (const pod of pods) assert.match(wide, new RegExp(`${pod.metadata.name}\\s.*${pod.spec.nodeName}`));
  });

  it('kubectl scale adds and removes Running pods', async () => {
    await ok('scale', 'deployment/web', '--replicas=5');
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    await runningOnNodes(5);
    await ok('scale', 'deployment/web', '--replicas=2');
    await runningOnNodes(2);
  });

  it('kubectl delete deployment removes its ReplicaSet and pods, the pods stopped by their nodes', async () => {
    const before = await webPods();
    await ok('delete', 'deployment', 'web');
    await eventually(
      async () => {
        const rs = JSON.parse(await ok('get', 'replicasets', '-l', 'app=web', '-o', 'json')).items;
        return rs.length === 0 && (await webPods()).length === 0 ? true : undefined;
      },
      60_000,
      'the ReplicaSet and pods are gone',
    );
    const events = JSON.parse(await ok('get', 'events', '-o', 'json')).items as Json[];
    for (const pod of before) {
      assert.ok(
        events.some((e) => e.involvedObject.name === pod.metadata.name && e.reason === 'Killing'),
        `${pod.metadata.name} was stopped by its node (event Killing)`,
      );
    }
  });
});
