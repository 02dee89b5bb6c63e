/**
 * A first end-to-end run of the multi-host landscape (`transplant up --hosts`). Before the shoot
 * exists, the landscape's own checks run on it (test/helpers/hosts-landscape-checks.ts), and
 * `down` leaving nothing behind is the last test. Then: the garden on a
 * 3-member etcd cluster with 2 replicas behind haproxy, seed-a and seed-b on their own hosts, the
 * DNS server on its own; the project and a shoot with 3 machines created through
 * `transplant exec -- kubectl` on the operator's host. The shoot's API is
 * `api.my-shoot.dev.landscape.test` on an address of seed-a's host; each machine runs on a host of
 * its own with the host's address as InternalIP. The seed document's trigger moves the shoot to
 * seed-b while a garden etcd member and the replica leading the garden's controllers are killed
 * -9, and while two writers write: one through the garden's load balancer (ConfigMaps in the
 * project namespace), one through the shoot's API name with the admin kubeconfig issued before
 * the move. The Restore succeeds; a replica process other than the killed one holds the Lease;
 * the record then points at an address of seed-b's host; the machines are the same processes and
 * Ready, each node's Lease renewed through seed-b after the Restore; no acknowledged write of
 * either writer is lost; and the objects created before the move read back through the
 * kubeconfig issued before it, equal, resourceVersions included.
 *
 * The test process runs in the machine's own namespace, whose resolver does not know the
 * landscape's domain: its shoot clients resolve the API name through the landscape's DNS server
 * (`lookupAt` in test/helpers/dns-lookup.ts: src/dns's query of the dns host), afresh for every new connection as the node agents
 * do, so after the move they follow the record to seed-b.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { liveMigrationRecord } from '../../src/api/core-gardener/live-migration.js';
import type { ShootState } from '../../src/api/core-gardener/shoot-state.js';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { namespacePids } from '../../src/landscape/journal.js';
import { getJson, type Json } from '../helpers/api-client.js';
import { type ClusterSnapshot, clusterSnapshot, differences } from '../helpers/cluster-snapshot.js';
import { type ContinuityReport, describeContinuity, startContinuityProbe } from '../helpers/continuity-probe.js';
import { lookupAt } from '../helpers/dns-lookup.js';
import { shootPath } from '../helpers/garden-e2e.js';
import {
  downLeavesNothing,
  type HostsLandscapeUnderTest,
  landscapeChecks,
  landscapeTag,
} from '../helpers/hosts-landscape-checks.js';
import { exampleShootManifest, examplesDir } from '../helpers/landscape.js';
import { assertLiveContinuity, SEED_DOCUMENT_TRIGGER, triggerLiveMigration } from '../helpers/migration.js';
import { createMixed, installWidgetCrd, mixOf, WIDGET_GROUP } from '../helpers/mixed-objects.js';
import { hostsLandscapeUnavailable } from '../helpers/netns.js';
import { eventually } from '../helpers/processes.js';
import { type ShootClient, shootClient } from '../helpers/shoot-client.js';
import { checkWrites, type ShootWriter, startShootWriter, type WriterRecords } from '../helpers/shoot-writer.js';
import { onHost, tearDownHostsLandscape, transplant, upHostsLandscape } from '../helpers/transplant-cli.js';

const skip = hostsLandscapeUnavailable();
const SHOOT = { NAMESPACE: 'garden-dev', SHOOT_NAME: 'my-shoot' };
const API_NAME = 'api.my-shoot.dev.landscape.test';
/** The namespaces of the objects created before the move (`<prefix>-<n>`). */
const BEFORE_MOVE = 'before-move';
/** The kinds created before the move that nothing changes afterwards (Deployments' status and bare Pods' would). */
const KEPT_KINDS = new Set(['/configmaps', '/secrets', '/services', `${WIDGET_GROUP}/widgets`]);

describe('a shoot on the multi-host landscape, moved from seed-a to seed-b', { skip }, () => {
  let dir: string;
  let landscape: LandscapeFile;
  /** The shoot's API through the admin kubeconfig issued before the move (the name resolved as below). */
  let shoot: ShootClient;
  /** What the objects created before the move are, read just before the trigger. */
  let objectsBefore: ClusterSnapshot;
  const shootKubeconfig = () => join(dir, 'my-shoot.kubeconfig');
  const seedB = () => landscape.hosts!['seed-b']!.extraAddresses;

  /** The objects created before the move, as they are now (the kept kinds in BEFORE_MOVE's namespaces). */
  const objectsCreatedBeforeTheMove = async (): Promise<ClusterSnapshot> => {
    const all = await clusterSnapshot(shoot, (group, resource) => !KEPT_KINDS.has(`${group}/${resource}`));
    return new Map([...all].filter(([key]) => key.split('/')[2]!.startsWith(`${BEFORE_MOVE}-`)));
  };

  /**
   * The last operation and where the shoot is (a move's Restore/Succeeded follows the last move's),
   * read by the test itself: a kubectl process per poll on the operator's host cost the suite CPU.
   */
  const lastOperation = async () => {
    const { status } = await getJson(landscape.garden.kubeconfig, shootPath(SHOOT.NAMESPACE, SHOOT.SHOOT_NAME));
    return `${status?.lastOperation?.type}/${status?.lastOperation?.state} on ${status?.seedName}`;
  };
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
        const lease = await getJson(
          landscape.garden.kubeconfig,
          '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/gardener-controller-manager-leader-election',
        );
        const identity: string = lease.spec?.holderIdentity ?? '';
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

  // Info: the replicas log their leader-election identity when they lead.
  const underTest: HostsLandscapeUnderTest = { dir: () => dir, tag: () => tag, machines: 3, logLevel: 'info' };
  let tag = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-hosts-migration-'));
    landscape = await upHostsLandscape(dir, [
      '--machines',
      String(underTest.machines),
      '--log-level',
      underTest.logLevel,
    ]);
    tag = await landscapeTag(dir);
  });

  after(async () => {
    await tearDownHostsLandscape(dir);
  });

  // The landscape's own checks, before the shoot exists; `up` again restarts seed-a and store-b.
  landscapeChecks(underTest);

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
    await waitFor('Create/Succeeded on seed-a', 180_000);
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

  it('creates ConfigMaps, Secrets, Services and custom resources through the admin kubeconfig', async () => {
    shoot = await shootClient(shootKubeconfig(), {
      // Through the landscape's DNS server: node's resolver here is the machine's.
      lookup: lookupAt({ host: landscape.hosts!.dns!.address, port: 53 }),
    });
    assert.ok(await installWidgetCrd(shoot), 'the shoot serves the Widget CRD');
    const created = await createMixed(
      shoot,
      { ...mixOf(120), pods: 0, deployments: 0 },
      { namespaces: 3, namespacePrefix: BEFORE_MOVE },
    );
    objectsBefore = await objectsCreatedBeforeTheMove();
    // Snapshot keys are `<group>/<resource>/<namespace>/<name>`; created paths are API paths.
    const keyOf = (path: string) => {
      const [, group, namespace, resource, name] =
        /^\/apis?\/(?:([^/]+)\/)?v1\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path)!;
      return `${group === undefined || group === 'v1' ? '' : group}/${resource}/${namespace}/${name}`;
    };
    for (const object of created) {
      assert.equal(
        objectsBefore.get(keyOf(object.path))?.metadata.resourceVersion,
        object.resourceVersion,
        object.path,
      );
    }
  });

  it("the seed document's trigger moves it to seed-b while a garden etcd member and the leading replica are killed -9", async (t) => {
    const before = await machinePids();
    assert.equal(before.length, 3);
    const leader = await leadingReplica();

    // The writers run from before the trigger until a write after Restore Succeeded went through.
    const garden = await shootClient(landscape.garden.kubeconfig);
    const writers = {
      garden: startShootWriter(garden, {
        namespace: SHOOT.NAMESPACE,
        prefix: 'garden-writer',
        update: 'garden-writer-counter',
        intervalMs: 200,
      }),
      shoot: startShootWriter(shoot, {
        namespace: 'default',
        prefix: 'shoot-writer',
        update: 'shoot-writer-counter',
        intervalMs: 200,
      }),
    };
    const acknowledged = (writer: ShootWriter, more: number) => {
      const wanted = writer.acknowledgedCount + more;
      return eventually(
        async () => (writer.acknowledgedCount >= wanted ? true : undefined),
        60_000,
        `${more} acknowledged writes`,
      );
    };
    await acknowledged(writers.garden, 5);
    await acknowledged(writers.shoot, 5);

    const triggeredAt = Date.now();
    const trigger = await onHost(dir, SEED_DOCUMENT_TRIGGER, { env: { ...SHOOT, DEST_SEED_NAME: 'seed-b' } });
    assert.equal(trigger.stdout.trim(), 'seed-b', trigger.stderr);
    const [member] = await namespacePids(landscape.hosts!['etcd-0']!.netns);
    process.kill(member!, 'SIGKILL');
    process.kill(leader.pid, 'SIGKILL');
    await waitFor('Restore/Succeeded on seed-b', 240_000);
    const restoredAt = Date.now();
    // A write sent after the Restore went through (one sent before it and answered after would
    // not show that the destination takes writes).
    for (const [name, writer] of Object.entries(writers)) {
      await eventually(
        async () => (writer.lastAcknowledgedSentAt > restoredAt ? true : undefined),
        60_000,
        `a ${name} write sent after the Restore acknowledged`,
      );
    }
    const records = { garden: await writers.garden.stop(), shoot: await writers.shoot.stop() };

    // Once the dead leader's Lease expires (15 s), another replica takes over the controllers. The
    // supervisor restarts the killed one within a second or two, and that new process may win the
    // race: what must hold is that the holder is a live process other than the one killed.
    const successor = await eventually(
      async () => {
        const now = await leadingReplica();
        return now.identity !== leader.identity ? now : undefined;
      },
      60_000,
      'another replica leads the controllers',
    );
    t.diagnostic(`${leader.name} (pid ${leader.pid}) killed; ${successor.name} (pid ${successor.pid}) leads`);
    assert.notEqual(successor.pid, leader.pid, 'the killed process does not lead');
    assert.doesNotThrow(() => process.kill(successor.pid, 0), 'the leading replica is a live process');

    await eventually(
      async () => (seedB().includes(await resolved()) ? true : undefined),
      30_000,
      'the record names seed-b',
    );
    assert.deepEqual(await machinePids(), before, 'the same machine processes');
    await eventually(
      async () => ((await nodes()).every((n) => n.ready) ? true : undefined),
      60_000,
      'the nodes are Ready through seed-b',
    );
    await nodeLeasesRenewedThroughSeedB(restoredAt);

    for (const [name, client, namespace] of [
      ['garden', garden, SHOOT.NAMESPACE],
      ['shoot', shoot, 'default'],
    ] as const) {
      const { acknowledged, failed } = records[name];
      t.diagnostic(`${name} writer: ${acknowledged.length} acknowledged, ${failed.length} failed writes`);
      assertNoWriteLost(name, records[name], (await client.listConfigMaps(namespace)).items, triggeredAt, restoredAt);
    }
    garden.close();

    const objectsAfter = await objectsCreatedBeforeTheMove();
    assert.ok(seedB().includes(shoot.lastRemoteAddress!), `read through seed-b, not ${shoot.lastRemoteAddress}`);
    assert.deepEqual(differences(objectsBefore, objectsAfter), { added: [], removed: [], changed: [] });
    t.diagnostic(`${objectsAfter.size} objects created before the move read back equal`);
  });

  it('a live migration back to seed-a: etcd peers across the hosts, the record switched, no write or event lost', async (t) => {
    const ns = await shoot.request('POST', '/api/v1/namespaces', { metadata: { name: 'live-probe' } });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    const probe = await startContinuityProbe(shootKubeconfig(), {
      namespace: 'live-probe',
      prefix: 'live-hosts',
      lookup: lookupAt({ host: landscape.hosts!.dns!.address, port: 53 }),
    });
    let report: ContinuityReport;
    try {
      await probe.moreWrites(25, 30_000);
      await triggerLiveMigration(landscape.garden.kubeconfig, 'seed-a');
      await waitFor('Restore/Succeeded on seed-a', 240_000);
      await probe.moreWrites(25, 30_000);
    } finally {
      report = await probe.stop();
    }
    t.diagnostic(describeContinuity(report));
    const state = await onHost(dir, 'kubectl get shootstate -n "$NAMESPACE" "$SHOOT_NAME" -o json', { env: SHOOT });
    const record = liveMigrationRecord(JSON.parse(state.stdout) as ShootState);
    assert.equal(record?.phase, 'Completed', 'the move was live, not classic');
    assert.deepEqual(
      record?.source.etcd['etcd-main']?.flatMap((m) => m.peerURLs).map((u) => new URL(u).hostname),
      [landscape.hosts!['seed-b']!.address],
      "seed-b's member took peers on its host's address",
    );
    await eventually(
      async () => (landscape.hosts!['seed-a']!.extraAddresses.includes(await resolved()) ? true : undefined),
      30_000,
      'the record names seed-a',
    );
    await assertLiveContinuity(report, shoot, 'live-probe');
    await eventually(
      async () => ((await nodes()).every((n) => n.ready) ? true : undefined),
      60_000,
      'the nodes are Ready through seed-a',
    );
  });

  /** Each node's Lease renewed after `since`, read from the API server the record names: seed-b's. */
  const nodeLeasesRenewedThroughSeedB = async (since: number) => {
    const names = (await nodes()).map((n) => n.name);
    assert.equal(names.length, 3);
    await eventually(
      async () => {
        const stale: string[] = [];
        for (const name of names) {
          const res = await shoot.request(
            'GET',
            `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`,
          );
          assert.equal(res.status, 200, `the Lease of ${name}: HTTP ${res.status}`);
          assert.ok(seedB().includes(shoot.lastRemoteAddress!), `answered by ${shoot.lastRemoteAddress}, not seed-b`);
          if (Date.parse(res.body.spec.renewTime) <= since) stale.push(`${name} (${res.body.spec.renewTime})`);
        }
        return stale.length === 0 ? true : undefined;
      },
      60_000,
      'every node Lease renewed after the Restore',
    );
  };

  /** Every acknowledged write is there with its content; the writer got writes through before the trigger and after the Restore. */
  const assertNoWriteLost = (
    name: string,
    records: WriterRecords,
    items: readonly Json[],
    triggeredAt: number,
    restoredAt: number,
  ) => {
    const check = checkWrites(records, items);
    const lost = {
      missing: check.missing,
      changed: check.changed,
      updateLost: check.updateLost,
      presentThoughRefused: check.presentThoughRefused,
    };
    assert.deepEqual(
      lost,
      { missing: [], changed: [], updateLost: undefined, presentThoughRefused: [] },
      `the ${name} writer lost writes`,
    );
    assert.ok(
      records.acknowledged.some((w) => w.acknowledgedAt < triggeredAt),
      `the ${name} writer wrote before the trigger`,
    );
    assert.ok(
      records.acknowledged.some((w) => w.sentAt > restoredAt),
      `the ${name} writer wrote after the Restore`,
    );
  };

  downLeavesNothing(underTest);
});
