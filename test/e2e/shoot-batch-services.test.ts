/**
 * A shoot's kube-controller-manager makes Services, namespaces, Jobs and CronJobs work as in any
 * cluster (issue 13, item 4), on a real landscape through kubectl: a Service gets Endpoints and
 * an EndpointSlice from its pods (ready and not), `kubectl delete namespace` empties the
 * namespace — saying in its conditions what holds it — and then removes it, a Job completes
 * when its pod succeeds, and a CronJob creates Jobs on its schedule (and `kubectl create job
 * --from=cronjob/…` one by hand); the `kubernetes` Service's endpoints are the API server's; and
 * after a move to another seed the controllers there recreate and rewrite nothing. The shoot's own
 * kube-scheduler and node agent run the pods (a Job's pod succeeds after a few seconds); a pod is
 * kept not ready by a readiness gate whose condition the test writes, as a load balancer would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import type { CommandResult } from '../helpers/kubectl.js';
import { type KubectlShoot, startKubectlShoot } from '../helpers/kubectl-shoot.js';
import { type ShootOnLandscape, triggerMigration, waitForRestoreOn } from '../helpers/migration.js';
import { eventually, until } from '../helpers/processes.js';

/** web-2's readiness gate: it is Ready once the test sets this condition True. */
const GATE = 'example.com/load-balancer-ready';

const webManifest = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: nginx, image: nginx, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
spec:
  readinessGates: [{conditionType: ${GATE}}]
  containers: [{name: nginx, image: nginx, ports: [{name: http, containerPort: 8080}]}]
`;

describe("a shoot's Services, namespaces, Jobs and CronJobs, through kubectl", () => {
  let kubectlShoot: KubectlShoot;
  let shoot: ShootOnLandscape;
  const k = (args: string[], input?: string): Promise<CommandResult> => kubectlShoot.k(args, input);
  const ok = (args: string[], input?: string): Promise<string> => kubectlShoot.ok(args, input);
  const json = (args: string[]): Promise<Json> => kubectlShoot.json(args);
  /** The pod once its node runs it (Running, with an address). */
  const runningPod = (namespace: string, name: string): Promise<Json> =>
    eventually(
      async () => {
        const pod = await json(['-n', namespace, 'get', 'pod', name]).catch(() => undefined);
        return pod?.status?.phase === 'Running' && pod.status.podIP ? pod : undefined;
      },
      60_000,
      `pod ${namespace}/${name} Running`,
    );
  /** Sets the condition of web-2's readiness gate True: its node then reports it Ready. */
  const openGate = (namespace: string) =>
    ok([
      '-n',
      namespace,
      'patch',
      'pod',
      'web-2',
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/status/conditions/-', value: { type: GATE, status: 'True' } }]),
    ]);

  /**
   * Waits for the Job's Complete condition; when it does not come, the error says where the Job
   * stands — its status, its pods (phase, node, finalizers, deletion) and who holds the controller
   * manager's and the scheduler's Leases — so that a failure explains itself.
   */
  const completes = async (namespace: string, job: string) => {
    const wait = await k(['-n', namespace, 'wait', '--for=condition=complete', `job/${job}`, '--timeout=90s']);
    if (wait.code === 0) return;
    const read = (args: string[]) => json(args).catch((err: Error) => err.message);
    const pods = await read(['-n', namespace, 'get', 'pods', '-l', `batch.kubernetes.io/job-name=${job}`]);
    const leases = await read(['-n', 'kube-system', 'get', 'leases']);
    const state = {
      status: (await read(['-n', namespace, 'get', 'job', job])).status,
      pods: pods.items?.map((p: Json) => ({
        name: p.metadata.name,
        phase: p.status?.phase,
        node: p.spec.nodeName,
        finalizers: p.metadata.finalizers,
        deleting: p.metadata.deletionTimestamp,
      })),
      leases: leases.items?.map(
        (l: Json) => `${l.metadata.name}: ${l.spec.holderIdentity} renewed ${l.spec.renewTime}`,
      ),
    };
    assert.fail(`job ${namespace}/${job} not complete: ${wait.stderr.trim()}\n${JSON.stringify(state, null, 1)}`);
  };

  before(async () => {
    kubectlShoot = await startKubectlShoot();
    shoot = kubectlShoot.shoot;
  });

  after(async () => {
    await kubectlShoot?.stop();
  });

  it('gives a Service Endpoints and an EndpointSlice from its pods, ready and not ready', async () => {
    await ok(['create', 'namespace', 'shop']);
    await ok(['apply', '-f', '-'], webManifest);
    const web1 = await runningPod('shop', 'web-1');
    const web2 = await runningPod('shop', 'web-2');
    const [ip1, ip2] = [web1.status.podIP, web2.status.podIP];

    const endpoints = await eventually(
      async () => {
        const ep = await json(['-n', 'shop', 'get', 'endpoints', 'web']).catch(() => undefined);
        return ep?.subsets?.[0]?.notReadyAddresses ? ep : undefined;
      },
      30_000,
      'Endpoints with both pods',
    );
    const [subset] = endpoints.subsets;
    assert.deepEqual(
      [subset.addresses.map((a: Json) => a.ip), subset.notReadyAddresses.map((a: Json) => a.ip)],
      [[ip1], [ip2]],
    );
    assert.deepEqual(subset.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }], 'the named target port resolved');
    assert.equal(subset.addresses[0].targetRef.name, 'web-1');
    assert.equal(subset.addresses[0].nodeName, web1.spec.nodeName);
    assert.ok(
      (await ok(['-n', 'shop', 'get', 'endpoints', 'web'])).includes(`${ip1}:8080`),
      'kubectl get endpoints shows the ready address',
    );

    const slices = await json(['-n', 'shop', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    assert.equal(slices.items.length, 1);
    const [slice] = slices.items;
    assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.deepEqual(
      slice.metadata.ownerReferences.map((o: Json) => [o.kind, o.name]),
      [['Service', 'web']],
    );
    assert.deepEqual(
      slice.endpoints.map((e: Json) => [e.addresses[0], e.conditions.ready]).sort(),
      [
        [ip1, true],
        [ip2, false],
      ].sort(),
    );

    // The second pod turns Ready: both are addresses now.
    await openGate('shop');
    await until(
      async () => (await json(['-n', 'shop', 'get', 'endpoints', 'web'])).subsets?.[0]?.addresses?.length === 2,
      30_000,
      'both pods ready',
    );
  });

  it("the kubernetes Service's endpoints are the API server's own address", async () => {
    const server = new URL(shoot.client.server);
    const endpoints = await json(['-n', 'default', 'get', 'endpoints', 'kubernetes']);
    assert.deepEqual(endpoints.subsets, [
      {
        addresses: [{ ip: server.hostname }],
        ports: [{ name: 'https', port: Number(server.port || 443), protocol: 'TCP' }],
      },
    ]);
    const slice = await json(['-n', 'default', 'get', 'endpointslice', 'kubernetes']);
    assert.deepEqual(slice.endpoints[0].addresses, [server.hostname]);
    assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], undefined, "not the controller's");
  });

  it('kubectl delete namespace removes its content, then the namespace; its conditions say what holds it', async () => {
    await ok(['-n', 'shop', 'create', 'configmap', 'held']);
    await ok([
      '-n',
      'shop',
      'patch',
      'configmap',
      'held',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);
    await ok(['delete', 'namespace', 'shop', '--wait=false']);
    const held = await eventually(
      async () => {
        const ns = await json(['get', 'namespace', 'shop']);
        const condition = ns.status?.conditions?.find((c: Json) => c.type === 'NamespaceFinalizersRemaining');
        return condition?.status === 'True' ? ns : undefined;
      },
      30_000,
      'the namespace held by a finalizer',
    );
    assert.equal(held.status.phase, 'Terminating');
    assert.match(await ok(['get', 'namespace', 'shop']), /shop\s+Terminating/);
    // The node stops the pods gracefully, then they are gone.
    await until(async () => (await k(['-n', 'shop', 'get', 'pod', 'web-1'])).code === 1, 60_000, 'the pods are gone');
    assert.equal((await k(['-n', 'shop', 'get', 'service', 'web'])).code, 1, 'the Service is gone');

    await ok(['-n', 'shop', 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await ok(['wait', '--for=delete', 'namespace/shop', '--timeout=30s']);
    assert.match((await k(['get', 'namespace', 'shop'])).stderr, /not found/);
  });

  it('a Job completes when its pod succeeds', async () => {
    await ok(['create', 'job', 'pi', '--image=busybox', '--', 'true']);
    const pod = await eventually(
      async () => (await json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=pi'])).items[0],
      30_000,
      'the Job pod',
    );
    assert.deepEqual(pod.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
    // The node runs the pod to completion (Succeeded after a few seconds).
    await completes('default', 'pi');
    const job = await json(['get', 'job', 'pi']);
    assert.equal(job.status.succeeded, 1);
    assert.ok(job.status.completionTime);
    assert.match(await ok(['get', 'job', 'pi']), /pi\s+Complete\s+1\/1/);
    const described = await ok(['describe', 'job', 'pi']);
    assert.match(described, /SuccessfulCreate\s+.*Created pod: pi-/);
    assert.match(described, /Completed\s+.*Job completed/);
  });

  it('a CronJob creates a Job on its schedule; kubectl create job --from=cronjob makes one by hand', async () => {
    await ok(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=@every 5s', '--', 'true']);
    const scheduled = await eventually(
      async () =>
        (await json(['get', 'jobs'])).items.find((j: Json) => j.metadata.ownerReferences?.[0]?.name === 'tick'),
      30_000,
      'a scheduled Job',
    );
    assert.match(scheduled.metadata.name, /^tick-[0-9]+$/);
    await until(
      async () => (await ok(['describe', 'cronjob', 'tick'])).includes(`Created job ${scheduled.metadata.name}`),
      30_000,
      'the SuccessfulCreate event of the CronJob',
    );
    const cronJob = await json(['get', 'cronjob', 'tick']);
    assert.ok(cronJob.status.lastScheduleTime);
    assert.equal(
      scheduled.metadata.name,
      `tick-${Math.floor(Date.parse(scheduled.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp']) / 60_000)}`,
    );

    await ok(['create', 'job', 'by-hand', '--from=cronjob/tick']);
    const manual = await json(['get', 'job', 'by-hand']);
    assert.equal(manual.metadata.ownerReferences[0].kind, 'CronJob');
    await ok(['patch', 'cronjob', 'tick', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
  });

  it('after a move to another seed, the controllers there make nothing twice and change nothing', async () => {
    await ok(['create', 'namespace', 'moving']);
    await ok(['apply', '-f', '-'], webManifest.replaceAll('namespace: shop', 'namespace: moving'));
    await runningPod('moving', 'web-1');
    await runningPod('moving', 'web-2');
    await openGate('moving');
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'long', namespace: 'moving' },
        spec: {
          completions: 2,
          parallelism: 2,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      }),
    );
    // Its two pods run side by side on the node and succeed.
    await completes('moving', 'long');
    assert.equal((await json(['-n', 'moving', 'get', 'job', 'long'])).status.succeeded, 2);
    await until(
      async () => (await json(['-n', 'moving', 'get', 'endpoints', 'web'])).subsets?.[0]?.addresses?.length === 2,
      30_000,
      'the Endpoints',
    );
    const state = async () => {
      const list = async (kind: string) =>
        (await json(['-n', 'moving', 'get', kind])).items
          .map((o: Json) => `${kind}/${o.metadata.name} ${o.metadata.uid} ${o.metadata.resourceVersion}`)
          .sort();
      return [
        ...(await list('pods')),
        ...(await list('jobs')),
        ...(await list('endpoints')),
        ...(await list('endpointslices')),
      ];
    };
    const before = await state();

    await triggerMigration(shoot.landscape.garden, 'seed-b');
    await waitForRestoreOn(shoot.landscape, 'seed-b');
    // The controllers on seed-b lead once seed-a's handed the Lease back; give them time to act.
    await until(
      async () =>
        (await json(['-n', 'kube-system', 'get', 'lease', 'kube-controller-manager'])).spec.holderIdentity?.startsWith(
          'seed-b_',
        ),
      60_000,
      "seed-b's controller manager leads",
    );
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    assert.deepEqual(await state(), before, 'the same pods, Jobs, Endpoints and slices, unchanged');
  });
});
