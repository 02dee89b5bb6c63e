/**
 * A shoot's kube-controller-manager makes Services, namespaces, Jobs and CronJobs work as in any
 * cluster (issue 13, item 4), on a real landscape through kubectl: a Service gets Endpoints and
 * an EndpointSlice from its pods (ready and not), `kubectl delete namespace` empties the
 * namespace — saying in its conditions what holds it — and then removes it, a Job completes
 * when its pod succeeds, and a CronJob creates Jobs on its schedule (and `kubectl create job
 * --from=cronjob/…` one by hand); the `kubernetes` Service's endpoints are the API server's; and
 * after a move to another seed the controllers there recreate and rewrite nothing. No scheduler or kubelet runs pods yet: the test binds pods and
 * writes their status itself (test/helpers/kubelet-stand-in.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Json } from '../helpers/api-client.js';
import { type CommandResult, kubectl } from '../helpers/kubectl.js';
import { standInForKubelet } from '../helpers/kubelet-stand-in.js';
import {
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
  waitForRestoreOn,
} from '../helpers/migration.js';
import { eventually, until } from '../helpers/processes.js';

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
  containers: [{name: nginx, image: nginx, ports: [{name: http, containerPort: 8080}]}]
`;

describe("a shoot's Services, namespaces, Jobs and CronJobs, through kubectl", () => {
  let shoot: ShootOnLandscape;
  let cacheDir: string;
  const k = (args: string[], input?: string): Promise<CommandResult> =>
    kubectl(shoot.kubeconfig, ['--cache-dir', cacheDir, ...args], input);
  const ok = async (args: string[], input?: string): Promise<string> => {
    const result = await k(args, input);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const json = async (args: string[]): Promise<Json> => JSON.parse(await ok([...args, '-o', 'json']));

  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'transplant-kubectl-cache-'));
    shoot = await startShootOnLandscape();
  });

  after(async () => {
    await shoot?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('gives a Service Endpoints and an EndpointSlice from its pods, ready and not ready', async () => {
    await ok(['create', 'namespace', 'shop']);
    await ok(['apply', '-f', '-'], webManifest);
    await standInForKubelet(shoot.client, 'shop', 'web-1', { podIP: '100.64.0.11' });
    await standInForKubelet(shoot.client, 'shop', 'web-2', { podIP: '100.64.0.12', ready: false });

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
      [['100.64.0.11'], ['100.64.0.12']],
    );
    assert.deepEqual(subset.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }], 'the named target port resolved');
    assert.equal(subset.addresses[0].targetRef.name, 'web-1');
    assert.equal(subset.addresses[0].nodeName, 'worker-1');
    assert.match(await ok(['-n', 'shop', 'get', 'endpoints', 'web']), /100\.64\.0\.11:8080/);

    const slices = await json(['-n', 'shop', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    assert.equal(slices.items.length, 1);
    const [slice] = slices.items;
    assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.deepEqual(
      slice.metadata.ownerReferences.map((o: Json) => [o.kind, o.name]),
      [['Service', 'web']],
    );
    assert.deepEqual(
      slice.endpoints.map((e: Json) => [e.addresses[0], e.conditions.ready]),
      [
        ['100.64.0.11', true],
        ['100.64.0.12', false],
      ],
    );

    // The second pod turns Ready: both are addresses now.
    await standInForKubelet(shoot.client, 'shop', 'web-2', { podIP: '100.64.0.12' });
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
    assert.equal((await k(['-n', 'shop', 'get', 'pod', 'web-1'])).code, 1, 'the pods are gone');
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
    await standInForKubelet(shoot.client, 'default', pod.metadata.name, { phase: 'Succeeded' });
    await ok(['wait', '--for=condition=complete', 'job/pi', '--timeout=30s']);
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
    await standInForKubelet(shoot.client, 'moving', 'web-1', { podIP: '100.64.1.11' });
    await standInForKubelet(shoot.client, 'moving', 'web-2', { podIP: '100.64.1.12' });
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
    const jobPods = await eventually(
      async () => {
        const pods = (await json(['-n', 'moving', 'get', 'pods', '-l', 'batch.kubernetes.io/job-name=long'])).items;
        return pods.length === 2 ? pods : undefined;
      },
      30_000,
      'two pods of the Job',
    );
    for (const [i, pod] of jobPods.entries()) {
      await standInForKubelet(shoot.client, 'moving', pod.metadata.name, { podIP: `100.64.1.${20 + i}` });
    }
    await until(
      async () => (await json(['-n', 'moving', 'get', 'job', 'long'])).status?.ready === 2,
      30_000,
      'the Job pods ready',
    );
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
