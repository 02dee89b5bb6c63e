/**
 * Pods in a shoot (issue 13, items 4–6): a landscape with the example shoot on seed-a, its worker
 * pool at 3 machines (node agents started by the local Worker extension), and real kubectl.
 * kube-scheduler, run by seed-a, binds pods to Ready nodes by their requests, nodeSelector and
 * taints; the node agents run them as kwok simulates a kubelet (Running with Kubernetes' conditions
 * and container statuses, addresses from the node's pod CIDR, Succeeded for a Job's pod, graceful
 * deletion). Then the shoot moves to seed-b: every pod is the same pod, Running, on the same node
 * with the same address and start time, its status not rewritten and no container stopped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  CONTROL_PLANE,
  readyNodes as readyNodesOf,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  setWorkerMachines,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';

const MACHINES = 3;
const NODES = Array.from({ length: MACHINES }, (_, i) => `${CONTROL_PLANE}-local-${i}`);

describe('pods in a shoot: kube-scheduler and the node agents', () => {
  let shoot: ShootOnLandscape;

  before(async () => {
    shoot = await startShootOnLandscape();
    await setWorkerMachines(shoot.landscape.garden, MACHINES);
    await eventually(
      async () => ((await readyNodes()).join() === NODES.join() ? true : undefined),
      90_000,
      `${MACHINES} Ready nodes`,
    );
  });

  after(async () => {
    await shoot?.stop();
  });

  async function get(path: string): Promise<Json> {
    const { status, body } = await shoot.client.request('GET', path);
    assert.equal(status, 200, JSON.stringify(body));
    return body as Json;
  }

  const readyNodes = () => readyNodesOf(shoot.client);

  const pod = (name: string) => get(`/api/v1/namespaces/default/pods/${name}`);

  async function run(args: string[], input?: string): Promise<string> {
    const result = await kubectl(shoot.kubeconfig, args, input);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  async function runningPod(name: string): Promise<Json> {
    return eventually(
      async () => {
        const p = await pod(name);
        return p.status?.phase === 'Running' ? p : undefined;
      },
      60_000,
      `pod ${name} Running`,
    );
  }

  /** The events about pod `name`, as `reason: message`. */
  async function eventsOf(name: string): Promise<string[]> {
    const list = await get(
      `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`,
    );
    return list.items.map((e: Json) => `${e.reason}: ${e.message}`);
  }

  it('nodes report capacity and allocatable, an InternalIP from the shoot nodes network and a pod CIDR of its pods network', async () => {
    const nodes = (await get('/api/v1/nodes')).items.sort((a: Json, b: Json) =>
      a.metadata.name.localeCompare(b.metadata.name),
    );
    nodes.forEach((node: Json, i: number) => {
      assert.deepEqual(node.status.allocatable, { cpu: '2', memory: '4Gi', pods: '110', 'ephemeral-storage': '50Gi' });
      assert.deepEqual(node.status.capacity, node.status.allocatable);
      assert.deepEqual(node.status.addresses, [
        { type: 'InternalIP', address: `10.10.0.${10 + i}` },
        { type: 'Hostname', address: NODES[i] },
      ]);
      assert.equal(node.spec.podCIDR, `10.11.${i}.0/24`);
      assert.equal(node.metadata.labels['worker.gardener.cloud/pool'], 'local');
      assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, 10250);
    });
    const wide = await run(['get', 'nodes', '-o', 'wide']);
    assert.match(wide, new RegExp(`${NODES[0]}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.31\\.1\\s+10\\.10\\.0\\.10\\s`));
  });

  it('kubectl run: the pod is scheduled to a Ready node and Running there as a kubelet reports it', async () => {
    await run(['run', 'web', '--image=nginx:1.27', '--port=80']);
    await run(['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
    const p = await pod('web');
    const node = p.spec.nodeName as string;
    assert.ok(NODES.includes(node), node);
    const index = NODES.indexOf(node);
    const { status } = p;
    assert.deepEqual(status.conditions.map((c: Json) => `${c.type}=${c.status}`).sort(), [
      'ContainersReady=True',
      'Initialized=True',
      'PodReadyToStartContainers=True',
      'PodScheduled=True',
      'Ready=True',
    ]);
    assert.equal(status.hostIP, `10.10.0.${10 + index}`);
    assert.deepEqual(status.hostIPs, [{ ip: status.hostIP }]);
    assert.match(status.podIP, new RegExp(`^10\\.11\\.${index}\\.\\d+$`));
    assert.deepEqual(status.podIPs, [{ ip: status.podIP }]);
    assert.equal(status.qosClass, 'BestEffort');
    assert.ok(Date.parse(status.startTime) >= Date.parse(p.metadata.creationTimestamp));
    const [container] = status.containerStatuses;
    assert.equal(container.name, 'web');
    assert.equal(container.image, 'nginx:1.27');
    assert.match(container.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(container.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.deepEqual([container.ready, container.started, container.restartCount], [true, true, 0]);
    assert.ok(container.state.running.startedAt);

    const wide = await run(['get', 'pods', '-o', 'wide']);
    assert.match(
      wide,
      new RegExp(`web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${status.podIP.replace(/\./g, '\\.')}\\s+${node}\\s`),
    );
    const events = await eventually(
      async () => {
        const got = await eventsOf('web');
        return got.length >= 4 ? got : undefined;
      },
      20_000,
      'the events of pod web',
    );
    for (const expected of [
      `Scheduled: Successfully assigned default/web to ${node}`,
      'Pulled: Container image "nginx:1.27" already present on machine',
      'Created: Created container web',
      'Started: Started container web',
    ]) {
      assert.ok(events.includes(expected), `${expected} in ${events.join(' | ')}`);
    }
    const logs = await kubectl(shoot.kubeconfig, ['logs', 'web']);
    assert.deepEqual([logs.code, logs.stdout], [0, ''], logs.stderr);
  });

  it('a pod asking for more cpu than any node has stays Pending with FailedScheduling, in kube-scheduler words', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'huge', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources: { requests: { cpu: '100' } } }] },
    };
    await run(['apply', '-f', '-'], JSON.stringify(manifest));
    const message =
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    const condition = await eventually(
      async () => (await pod('huge')).status.conditions?.find((c: Json) => c.type === 'PodScheduled'),
      30_000,
      'PodScheduled of pod huge',
    );
    assert.deepEqual([condition.status, condition.reason, condition.message], ['False', 'Unschedulable', message]);
    const p = await pod('huge');
    assert.equal(p.status.phase, 'Pending');
    assert.equal(p.spec.nodeName, undefined);
    // The scheduler records the event after it writes the condition.
    await eventually(
      async () => ((await eventsOf('huge')).includes(`FailedScheduling: ${message}`) ? true : undefined),
      10_000,
      'the FailedScheduling event',
    );
    const described = await run(['describe', 'pod', 'huge']);
    assert.match(described, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available/);
    await run(['delete', 'pod', 'huge']);
  });

  it('nodeSelector and taints decide where pods go; a pod waiting for a node label is bound once a node has it', async () => {
    const [first, second, third] = NODES as [string, string, string];
    await run(['taint', 'node', first, 'dedicated=gpu:NoSchedule']);
    await run(['taint', 'node', second, 'dedicated=gpu:NoSchedule']);
    await run(['run', 'plain', '--image=nginx:1.27']);
    assert.equal((await runningPod('plain')).spec.nodeName, third, 'the only untainted node');
    const tolerating = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gpu', namespace: 'default' },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': second },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
        containers: [{ name: 'c', image: 'nginx:1.27' }],
      },
    };
    await run(['apply', '-f', '-'], JSON.stringify(tolerating));
    assert.equal((await runningPod('gpu')).spec.nodeName, second);

    const waiting = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ssd', namespace: 'default' },
      spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'nginx:1.27' }] },
    };
    await run(['apply', '-f', '-'], JSON.stringify(waiting));
    await eventually(
      async () =>
        (await pod('ssd')).status.conditions?.some((c: Json) => c.type === 'PodScheduled' && c.status === 'False')
          ? true
          : undefined,
      30_000,
      'pod ssd unschedulable',
    );
    await run(['label', 'node', third, 'disk=ssd']);
    assert.equal((await runningPod('ssd')).spec.nodeName, third, 'retried when the node changed');
    await run(['taint', 'node', first, 'dedicated-']);
    await run(['taint', 'node', second, 'dedicated-']);
  });

  it('kubectl delete pod: the node stops its containers (Killing) and deletes the pod with grace period 0', async () => {
    await runningPod('plain');
    const deleted = await kubectl(shoot.kubeconfig, ['delete', 'pod', 'plain', '--timeout=60s']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /pod "plain" deleted/);
    const gone = await shoot.client.request('GET', '/api/v1/namespaces/default/pods/plain');
    assert.equal(gone.status, 404);
    assert.ok((await eventsOf('plain')).includes('Killing: Stopping container plain'));
  });

  it("a Job's pod runs to completion: Succeeded, its container terminated with exit code 0 (Completed)", async () => {
    await run(['create', 'job', 'pi', '--image=perl:5.34', '--', 'perl', '-Mbignum=bpi', '-wle', 'print bpi(20)']);
    // The Job controller makes the pod, kube-scheduler binds it, its node runs it to completion.
    const selector = encodeURIComponent('batch.kubernetes.io/job-name=pi');
    let last: Json | undefined;
    const done = await eventually(
      async () => {
        last = (await get(`/api/v1/namespaces/default/pods?labelSelector=${selector}`)).items[0];
        return last?.status?.phase === 'Succeeded' ? last : undefined;
      },
      60_000,
      'the Job pod Succeeded',
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; the pod: ${JSON.stringify(last)}`);
    });
    const terminated = done.status.containerStatuses[0].state.terminated;
    assert.deepEqual([terminated.exitCode, terminated.reason], [0, 'Completed']);
    const ready = done.status.conditions.find((c: Json) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason], ['False', 'PodCompleted']);
    const name = done.metadata.name;
    assert.match(await run(['get', 'pod', name]), new RegExp(`^${name}\\s+0/1\\s+Completed\\s+0\\s`, 'm'));
  });

  it('after the migration to seed-b every pod is the same pod, Running on the same node with the same address, untouched', async () => {
    const before = new Map<string, Json>();
    for (const name of ['web', 'gpu', 'ssd']) before.set(name, await runningPod(name));
    await triggerMigration(shoot.landscape.garden, 'seed-b');
    await eventually(
      async () => {
        const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
        const op = s.status?.lastOperation;
        return op?.type === 'Restore' && op.state === 'Succeeded' && s.status.seedName === 'seed-b' ? true : undefined;
      },
      180_000,
      'the shoot is restored on seed-b',
    );
    // The node agents have re-listed their pods from the new API server by now (their nodes are
    // Ready again, which the Restore waited for); give them a moment to write anything they would.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const [name, old] of before) {
      const now = await pod(name);
      assert.equal(now.metadata.uid, old.metadata.uid, `${name}: the same pod`);
      assert.equal(now.metadata.resourceVersion, old.metadata.resourceVersion, `${name}: not rewritten`);
      assert.equal(now.spec.nodeName, old.spec.nodeName);
      assert.deepEqual(now.status, old.status, `${name}: same phase, address, start time, containers`);
    }
    const killed = (await Promise.all([...before.keys()].map(eventsOf))).flat().filter((e) => e.startsWith('Killing'));
    assert.deepEqual(killed, [], 'no container was stopped');
    await eventually(
      async () => {
        const lease = await get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler');
        return /^seed-b_/.test(lease.spec.holderIdentity ?? '') ? true : undefined;
      },
      30_000,
      "seed-b's kube-scheduler leads",
    );
    // Scheduling works on seed-b.
    await run(['run', 'after-move', '--image=nginx:1.27']);
    assert.ok(NODES.includes((await runningPod('after-move')).spec.nodeName));
  });
});
