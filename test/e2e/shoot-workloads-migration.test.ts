/**
 * A shoot with running workloads moves from seed-a to seed-b (issue 13, item 6, for the workload
 * controllers): with a Deployment rolled out to its second revision and a StatefulSet running,
 * the seed document's migration leaves every pod, ReplicaSet, Deployment, StatefulSet and
 * ControllerRevision as it was — same uid, same resourceVersion — and the kube-controller-manager
 * now leading on seed-b records no scaling, creating or deleting event: nothing rolled out,
 * nothing was recreated. The shoot's own scheduler and node agent run the pods before, during and
 * after the move: neither rewrites a Running pod either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KubectlShoot, startKubectlShoot, statefulSetManifest } from '../helpers/kubectl-shoot.js';
import { SHOOT, SHOOT_NAMESPACE, triggerMigration } from '../helpers/migration.js';
import { until } from '../helpers/processes.js';

const WORKLOADS = 'pods,replicasets,deployments,statefulsets,controllerrevisions';
/** The events of a controller acting on pods or ReplicaSets. */
const ACTING = /ScalingReplicaSet|SuccessfulCreate|SuccessfulDelete|Killing|FailedCreate/;

describe('migrating a shoot with running workloads', () => {
  let workloads: KubectlShoot;
  const ok = (args: string[], input?: string) => workloads.ok(args, input);
  /** uid and resourceVersion of every workload object, by kind and name. */
  const snapshot = async (): Promise<Record<string, string>> => {
    const items = (await workloads.json(['get', WORKLOADS])).items as {
      kind: string;
      metadata: { name: string; uid: string; resourceVersion: string };
    }[];
    return Object.fromEntries(
      items.map((o) => [`${o.kind}/${o.metadata.name}`, `${o.metadata.uid}@${o.metadata.resourceVersion}`]),
    );
  };
  const actingEvents = async () =>
    ((await workloads.json(['get', 'events'])).items as { reason: string; metadata: { name: string } }[])
      .filter((e) => ACTING.test(e.reason))
      .map((e) => e.metadata.name);

  before(async () => {
    workloads = await startKubectlShoot();
  });

  after(async () => {
    await workloads?.stop();
  });

  it('after the move every workload object is the same object, and no controller acted', async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    await ok(['apply', '-f', '-'], statefulSetManifest('db', 2, 'postgres:16'));
    await ok(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
    // Let the last status writes land before taking the picture.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const before = await snapshot();
    const eventsBefore = await actingEvents();
    assert.equal(Object.keys(before).filter((key) => key.startsWith('Pod/')).length, 5);

    await triggerMigration(workloads.shoot.landscape.garden, 'seed-b');
    const moved = await workloads.shoot.landscape.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 240_000);
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
