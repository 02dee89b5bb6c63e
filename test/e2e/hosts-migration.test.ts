/**
 * A first end-to-end run of the multi-host landscape (`transplant up --hosts`): the garden on a
 * 3-member etcd cluster with 2 replicas behind haproxy, seed-a and seed-b on their own hosts, the
 * DNS server on its own; the project and a shoot with 3 machines created through
 * `transplant exec -- kubectl` on the operator's host. The shoot's API is
 * `api.my-shoot.dev.landscape.test` on an address of seed-a's host; each machine runs on a host of
 * its own with the host's address as InternalIP. The seed document's trigger moves the shoot to
 * seed-b while a garden etcd member and the replica leading the garden's controllers are killed
 * -9: the Restore succeeds, another replica takes the Lease, the record then points at an address
 * of seed-b's host, the machines are the same processes and Ready, and the admin kubeconfig issued
 * before the move still works.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { namespacePids } from '../../src/landscape/journal.js';
import { exampleShootManifest, examplesDir } from '../helpers/landscape.js';
import { SEED_DOCUMENT_TRIGGER } from '../helpers/migration.js';
import { hostsLandscapeUnavailable } from '../helpers/netns.js';
import { eventually } from '../helpers/processes.js';
import { onHost, transplant } from '../helpers/transplant-cli.js';

const skip = hostsLandscapeUnavailable();
const SHOOT = { NAMESPACE: 'garden-dev', SHOOT_NAME: 'my-shoot' };
const API_NAME = 'api.my-shoot.dev.landscape.test';

describe('a shoot on the multi-host landscape, moved from seed-a to seed-b', { skip }, () => {
  let dir: string;
  let landscape: LandscapeFile;
  const shootKubeconfig = () => join(dir, 'my-shoot.kubeconfig');

  const lastOperation = async () =>
    (
      await onHost(
        dir,
        'kubectl get shoot -n "$NAMESPACE" "$SHOOT_NAME" -o jsonpath=\'{.status.lastOperation.type}/{.status.lastOperation.state}\'',
        { env: SHOOT },
      )
    ).stdout;
  const waitFor = (operation: string, timeoutMs: number) =>
    eventually(async () => ((await lastOperation()) === operation ? true : undefined), timeoutMs, operation);
  const resolved = async () => (await onHost(dir, `getent hosts ${API_NAME} | cut -d' ' -f1`)).stdout.trim();
  const nodes = async () => {
    const res = await onHost(dir, `kubectl --kubeconfig ${shootKubeconfig()} get nodes -o json`);
    assert.equal(res.code, 0, res.stderr);
    return (JSON.parse(res.stdout).items as { metadata: { name: string }; status: Record<string, never[]> }[]).map(
      (n) => ({
        name: n.metadata.name,
        ip: (n.status.addresses as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')?.address,
        ready: (n.status.conditions as { type: string; status: string }[]).some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
      }),
    );
  };
  const machinePids = async () => {
    const pids: number[] = [];
    for (const name of ['machine-0', 'machine-1', 'machine-2'])
      pids.push(...(await namespacePids(landscape.hosts![name]!.netns)));
    return pids.sort();
  };

  /** The replica holding the controllers' Lease: its name, pid and identity (from its log). */
  const leadingReplica = () =>
    eventually(
      async () => {
        const lease = await onHost(
          dir,
          'kubectl get lease -n kube-system gardener-controller-manager-leader-election -o jsonpath={.spec.holderIdentity}',
        );
        const identity = lease.stdout.trim();
        const current = JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
        for (const [name, replica] of Object.entries(current.garden.replicas ?? {})) {
          const log = await readFile(join(dir, 'logs', `${name}.log`), 'utf8');
          if (identity && replica.pid && log.includes(`"identity":"${identity}","leaderSince"`)) {
            return { name, pid: replica.pid, identity };
          }
        }
        return undefined;
      },
      60_000,
      'a replica leads',
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-hosts-migration-'));
    // Info: the replicas log their leader-election identity when they lead.
    const up = await transplant(['up', '--dir', dir, '--hosts', '--machines', '3', '--detach', '--log-level', 'info']);
    assert.equal(up.code, 0, up.stderr);
    landscape = JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
  });

  after(async () => {
    await transplant(['down', '--dir', dir]);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the project and a shoot with 3 machines through `transplant exec -- kubectl`', async () => {
    const project = await transplant([
      'exec',
      '--dir',
      dir,
      '--',
      'kubectl',
      'apply',
      '-f',
      join(examplesDir, '10-project.yaml'),
    ]);
    assert.equal(project.code, 0, project.stderr);
    const shoot = await transplant(['exec', '--dir', dir, '--', 'kubectl', 'apply', '-f', '-'], {
      input: await exampleShootManifest(3),
    });
    assert.equal(shoot.code, 0, shoot.stderr);
    await waitFor('Create/Succeeded', 180_000);
    const request =
      '{"apiVersion":"authentication.gardener.cloud/v1alpha1","kind":"AdminKubeconfigRequest","spec":{"expirationSeconds":86400}}';
    const issued = await onHost(
      dir,
      `kubectl create --raw /apis/core.gardener.cloud/v1beta1/namespaces/$NAMESPACE/shoots/$SHOOT_NAME/adminkubeconfig -f - | jq -r .status.kubeconfig | base64 -d > ${shootKubeconfig()}`,
      { input: request, env: SHOOT },
    );
    assert.equal(issued.code, 0, issued.stderr);
    assert.ok(landscape.hosts!['seed-a']!.extraAddresses.includes(await resolved()), 'the record names seed-a');
    const machineAddresses = ['machine-0', 'machine-1', 'machine-2'].map((m) => landscape.hosts![m]!.address).sort();
    await eventually(
      async () => {
        const all = await nodes();
        return all.length === 3 && all.every((n) => n.ready) ? all : undefined;
      },
      90_000,
      '3 Ready nodes',
    );
    assert.deepEqual((await nodes()).map((n) => n.ip).sort(), machineAddresses);
  });

  it("the seed document's trigger moves it to seed-b while a garden etcd member and the leading replica are killed -9", async () => {
    const before = await machinePids();
    assert.equal(before.length, 3);
    const leader = await leadingReplica();
    const trigger = await onHost(dir, SEED_DOCUMENT_TRIGGER, { env: { ...SHOOT, DEST_SEED_NAME: 'seed-b' } });
    assert.equal(trigger.stdout.trim(), 'seed-b', trigger.stderr);
    const [member] = await namespacePids(landscape.hosts!['etcd-0']!.netns);
    process.kill(member!, 'SIGKILL');
    process.kill(leader.pid, 'SIGKILL');
    await waitFor('Restore/Succeeded', 240_000);
    // Once the dead leader's Lease expires (15 s), the other replica (or the killed one restarted,
    // with a new identity) takes over the controllers.
    await eventually(
      async () => ((await leadingReplica()).identity !== leader.identity ? true : undefined),
      60_000,
      'another replica leads the controllers',
    );
    await eventually(
      async () => (landscape.hosts!['seed-b']!.extraAddresses.includes(await resolved()) ? true : undefined),
      30_000,
      'the record names seed-b',
    );
    assert.deepEqual(await machinePids(), before, 'the same machine processes');
    await eventually(
      async () => ((await nodes()).every((n) => n.ready) ? true : undefined),
      60_000,
      'the nodes are Ready through seed-b',
    );
  });
});
