/**
 * A highly available shoot (docs/ha-control-planes.md, increment 5): the example shoot with
 * `spec.controlPlane.highAvailability.failureTolerance.type: zone`, created with kubectl as the
 * seed document's manifests are. Its etcd-main runs 3 members with peer TLS, its kube-apiserver 2
 * replicas behind the shoot's endpoint. Member 0 killed with -9 and a replica failing at the same
 * time (the seed's fault hook, TRANSPLANT_APISERVER_FAULT_FILE: replicas run in the seed's
 * process) do not stop kubectl: writes and reads go on, then both come back. Hibernation takes
 * it to 0 members and no replica, waking up back to 3 and 2 with its data (the hibernation's full
 * snapshot needs the druid's backups of a 3-member etcd: the `ha-backups` part).
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APISERVER_FAULT_FILE_ENV } from '../../src/seed/runtime/apiserver-runtime.js';
import { VPN_SEED_SERVER_PORT } from '../../src/shoot/vpn/vpn-seed-server.js';
import type { Json } from '../helpers/api-client.js';
import { getJson, kubectl } from '../helpers/kubectl.js';
import { CONTROL_PLANE, type ShootOnLandscape, startShootOnLandscape } from '../helpers/migration.js';
import { alive, eventually, until } from '../helpers/processes.js';

const SEED = 'seed-a';

describe('a highly available shoot', () => {
  let shoot: ShootOnLandscape;
  let faultFile: string;

  before(async () => {
    // The fault file lives beside the landscape's directory, which does not exist yet: a name of its own.
    faultFile = join(process.env.TMPDIR ?? '/tmp', `transplant-ha-faults-${process.pid}-${Date.now()}`);
    await writeFile(faultFile, '');
    shoot = await startShootOnLandscape({
      seeds: [SEED],
      failureTolerance: 'zone',
      env: { [APISERVER_FAULT_FILE_ENV]: faultFile },
    });
  });

  after(async () => {
    await shoot?.stop();
    await rm(faultFile, { force: true });
  });

  const etcdMain = (): Promise<Json> =>
    getJson(shoot.landscape.seedKubeconfig(SEED), ['get', 'etcd', 'etcd-main', '-n', CONTROL_PLANE]);

  /** The shoot's endpoint address (its stable loopback address) and API port. */
  const endpoint = async () => {
    const s = await shoot.landscape.shoot('garden-dev', 'my-shoot');
    const url = new URL(s.status.advertisedAddresses.find((a: { name: string }) => a.name === 'external').url);
    return { host: url.hostname, port: Number(url.port || 443) };
  };

  /**
   * The ports the seed listens on at the shoot's address besides the endpoint and the
   * vpn-seed-server (/proc/net/tcp): the kube-apiserver replicas'.
   */
  const replicaPorts = async (): Promise<number[]> => {
    const { host, port } = await endpoint();
    const hexHost = host
      .split('.')
      .reverse()
      .map((b) => Number(b).toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
    const lines = (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1);
    const listening = lines
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3] === '0A' && f[1]?.startsWith(`${hexHost}:`))
      .map((f) => Number.parseInt(f[1]!.split(':')[1]!, 16));
    return listening.filter((p) => p !== port && p !== VPN_SEED_SERVER_PORT).sort();
  };

  it("runs etcd-main with 3 members and peer TLS, every member's client URL reported, and 2 kube-apiserver replicas", async () => {
    const etcd = await etcdMain();
    assert.equal(etcd.spec.replicas, 3);
    assert.equal(etcd.spec.etcd.peerUrlTls.tlsCASecretRef.name, 'ca-etcd');
    assert.equal(etcd.spec.etcd.peerUrlTls.serverTLSSecretRef.name, 'etcd-peer-server-tls');
    assert.deepEqual(
      etcd.status.members.map((m: Json) => [m.name, m.status, typeof m.clientUrl]),
      [0, 1, 2].map((i) => [`etcd-main-${i}`, 'Ready', 'string']),
    );
    assert.equal((await replicaPorts()).length, 2, 'two replicas listen beside the endpoint');
    const nodes = await kubectl(shoot.kubeconfig, ['get', 'nodes', '-o', 'name']);
    assert.equal(nodes.code, 0, nodes.stderr);
  });

  it('kubectl writes and reads while member 0 is killed and a replica fails; both come back', async () => {
    // Member 0: the one `status.endpoint` names, so kubectl going on shows that the kube-apiserver
    // has the other members' URLs too (and, when it leads, that an election is survived).
    const victim = (await etcdMain()).status.members.find((m: Json) => m.name === 'etcd-main-0');
    assert.ok(victim, 'etcd-main has a member 0');
    const stateFile = join(
      shoot.landscape.etcdDir(SEED, CONTROL_PLANE, 'etcd-main'),
      'members',
      victim.name,
      'etcd.json',
    );
    const killed: number = JSON.parse(await readFile(stateFile, 'utf8')).pid;
    const replicasBefore = await replicaPorts();

    process.kill(killed, 'SIGKILL');
    await writeFile(faultFile, `${CONTROL_PLANE}/0\n`);
    await until(async () => (await replicaPorts()).length === 1, 30_000, 'replica 0 down');
    assert.ok(!alive(killed), `${victim.name} (pid ${killed}) is dead`);

    // Each kubectl is a new connection: with a dead replica still behind the endpoint, some would fail.
    for (let i = 0; i < 6; i++) {
      const created = await kubectl(shoot.kubeconfig, ['create', 'configmap', `ha-${i}`, '--from-literal', `i=${i}`]);
      assert.equal(created.code, 0, `write ${i}: ${created.stderr}`);
      const read = await kubectl(shoot.kubeconfig, ['get', 'configmap', `ha-${i}`, '-o', 'jsonpath={.data.i}']);
      assert.equal(read.code, 0, `read ${i}: ${read.stderr}`);
      assert.equal(read.stdout, String(i));
    }

    await writeFile(faultFile, '');
    // The druid's status may still be the one from before the kill: the member's new pid tells it came back.
    const restarted = await eventually(
      async () => {
        const pid: number = JSON.parse(await readFile(stateFile, 'utf8')).pid;
        return pid && pid !== killed && alive(pid) ? pid : undefined;
      },
      60_000,
      `${victim.name} running again as a new process`,
    );
    const etcd = await eventually(
      async () => {
        const e = await etcdMain();
        return e.status.members.every((m: Json) => m.status === 'Ready') ? e : undefined;
      },
      60_000,
      'every member of etcd-main Ready again',
    );
    assert.ok(alive(restarted));
    assert.equal(etcd.status.readyReplicas, 3);
    await until(async () => (await replicaPorts()).length === 2, 30_000, 'replica 0 back');
    assert.notDeepEqual(await replicaPorts(), replicasBefore, 'replica 0 was started again (on a new port)');
    const all = await kubectl(shoot.kubeconfig, ['get', 'configmaps', '-o', 'name']);
    assert.equal(all.code, 0, all.stderr);
    for (let i = 0; i < 6; i++) assert.match(all.stdout, new RegExp(`^configmap/ha-${i}$`, 'm'));
  });

  /** The shoot once a Reconcile of its current spec succeeded with `status.hibernated` as given. */
  const settled = (hibernated: boolean): Promise<Json> =>
    eventually(
      async () => {
        const s = await shoot.landscape.shoot('garden-dev', 'my-shoot').catch(() => undefined);
        const last = s?.status?.lastOperation;
        const done =
          last?.type === 'Reconcile' &&
          last.state === 'Succeeded' &&
          s.status.observedGeneration === s.metadata.generation &&
          (s.status.hibernated === true) === hibernated;
        return done ? s : undefined;
      },
      180_000,
      `Reconcile Succeeded, hibernated=${hibernated}`,
    );
  const setHibernation = async (enabled: boolean) => {
    const patch = JSON.stringify({ spec: { hibernation: { enabled } } });
    const patched = await kubectl(shoot.landscape.garden, [
      'patch',
      'shoot',
      '-n',
      'garden-dev',
      'my-shoot',
      '--type',
      'merge',
      '-p',
      patch,
    ]);
    assert.equal(patched.code, 0, patched.stderr);
  };

  it('hibernates to 0 members and no replica, and wakes up to 3 members and 2 replicas with its data', async () => {
    await setHibernation(true);
    await settled(true);
    const stopped = await etcdMain();
    assert.equal(stopped.spec.replicas, 0);
    assert.equal(stopped.status.currentReplicas, 0);
    assert.deepEqual(await replicaPorts(), [], 'no replica listens while hibernated');

    await setHibernation(false);
    await settled(false);
    const woken = await etcdMain();
    assert.equal(woken.spec.replicas, 3);
    assert.deepEqual(
      woken.status.members.map((m: Json) => m.status),
      ['Ready', 'Ready', 'Ready'],
    );
    assert.equal((await replicaPorts()).length, 2);
    const read = await kubectl(shoot.kubeconfig, ['get', 'configmap', 'ha-5', '-o', 'jsonpath={.data.i}']);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, '5', 'the data written before hibernation is there');
  });
});
