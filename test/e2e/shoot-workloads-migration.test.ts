/**
 * A shoot with running workloads moves from seed-a to seed-b (issue 13, item 6, for the workload
 * controllers): with a Deployment rolled out to its second revision and a StatefulSet running,
 * the seed document's migration leaves every pod, ReplicaSet, Deployment, StatefulSet and
 * ControllerRevision as it was — same uid, same resourceVersion — and the kube-controller-manager
 * now leading on seed-b records no scaling, creating or deleting event: nothing rolled out,
 * nothing was recreated. The stand-in kubelet (test/helpers/pod-stand-in.ts) runs the pods before
 * the move and is stopped for it, so every write afterwards would be the controllers'.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CommandResult, kubectl } from '../helpers/kubectl.js';
import {
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
} from '../helpers/migration.js';
import { type PodStandIn, shootPodApi, startPodStandIn } from '../helpers/pod-stand-in.js';
import { until } from '../helpers/processes.js';

const WORKLOADS = 'pods,replicasets,deployments,statefulsets,controllerrevisions';
/** The events of a controller acting on pods or ReplicaSets. */
const ACTING = /ScalingReplicaSet|SuccessfulCreate|SuccessfulDelete|Killing|FailedCreate/;

describe('migrating a shoot with running workloads', () => {
  let shoot: ShootOnLandscape;
  let cacheDir: string;
  let kubelet: PodStandIn | undefined;
  const k = (args: string[], input?: string): Promise<CommandResult> =>
    kubectl(shoot.kubeconfig, ['--cache-dir', cacheDir, ...args], input);
  const ok = async (args: string[], input?: string): Promise<string> => {
    const result = await k(args, input);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  /** uid and resourceVersion of every workload object, by kind and name. */
  const snapshot = async (): Promise<Record<string, string>> => {
    const items = JSON.parse(await ok(['get', WORKLOADS, '-o', 'json'])).items as {
      kind: string;
      metadata: { name: string; uid: string; resourceVersion: string };
    }[];
    return Object.fromEntries(
      items.map((o) => [`${o.kind}/${o.metadata.name}`, `${o.metadata.uid}@${o.metadata.resourceVersion}`]),
    );
  };
  const actingEvents = async () =>
    (JSON.parse(await ok(['get', 'events', '-o', 'json'])).items as { reason: string; metadata: { name: string } }[])
      .filter((e) => ACTING.test(e.reason))
      .map((e) => e.metadata.name);

  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'transplant-kubectl-cache-'));
    shoot = await startShootOnLandscape();
    const nodes = (await k(['get', 'nodes', '-o', 'name'])).stdout.trim().split('\n');
    kubelet = startPodStandIn(shootPodApi(shoot.client), 'default', {
      node: nodes[0]?.replace('node/', '') || 'node-1',
      intervalMs: 300,
    });
  });

  after(async () => {
    kubelet?.stop();
    await shoot?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('after the move every workload object is the same object, and no controller acted', async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const db = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
      },
    };
    await ok(['apply', '-f', '-'], JSON.stringify(db));
    await ok(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
    kubelet?.stop();
    // Let the last status writes land before taking the picture.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const before = await snapshot();
    const eventsBefore = await actingEvents();
    assert.equal(Object.keys(before).filter((key) => key.startsWith('Pod/')).length, 5);

    await triggerMigration(shoot.landscape.garden, 'seed-b');
    const moved = await shoot.landscape.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 240_000);
    assert.equal(moved.status.seedName, 'seed-b');
    // The controller manager on seed-b leads, and has had time to look at everything.
    await until(
      async () =>
        (
          await ok([
            'get',
            'lease',
            '-n',
            'kube-system',
            'kube-controller-manager',
            '-o',
            'jsonpath={.spec.holderIdentity}',
          ])
        ).startsWith('seed-b'),
      30_000,
      'the controller manager on seed-b leads',
    );
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(await actingEvents(), eventsBefore);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=10s']);
  });
});
