/**
 * A control plane migration with DNS endpoints (issue 14): the landscape runs in a network
 * namespace of its own, whose resolver is a real knotd on 127.0.0.1:53 authoritative for
 * `landscape.test`; the garden has the internal-domain Secret for it; seed-a and seed-b serve
 * shoots' endpoints on addresses of their own pools. The shoot's API is
 * `https://api.my-shoot.dev.landscape.test`, published by its DNSRecord with RFC 2136 updates.
 * The seed document's trigger moves it: afterwards the record (asked of knotd) points at
 * seed-b's address, the same machine is a Ready node whose lease is renewed through the name
 * (its agent resolved it afresh), and the admin kubeconfig issued before the move still works.
 *
 * Where this machine can make the multi-host landscape, `make test` runs hosts-migration instead,
 * which moves a shoot with DNS endpoints between real hosts; `make test-matrix` runs both.
 *
 * The test file runs itself inside the namespace (`ip netns exec`): every address it uses is
 * one of the namespace's loopback addresses, and the namespace, its processes and its resolver
 * file go when it ends, however it ends. Without root it skips, saying so.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryA } from '../../src/dns/rfc2136-client.js';
import type { KnotServer } from '../../src/landscape/knot-server.js';
import { commandLine, findProcessesByArgument } from '../../src/process/processes.js';
import { MACHINE_DIR_ARGUMENT } from '../../src/seed/runtime/machine-runtime.js';
import type { Json } from '../helpers/api-client.js';
import {
  ADDRESS,
  API_NAME,
  applyInternalDomain,
  DNS,
  inOwnNetns,
  POOL_ARGS,
  startNamespaceKnot,
} from '../helpers/dns-netns.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  CONTROL_PLANE,
  MACHINE,
  readyNodes,
  SHOOT,
  SHOOT_NAMESPACE,
  type ShootOnLandscape,
  startShootOnLandscape,
  triggerMigration,
  waitForLeaseRenewedAfter,
  waitForRestoreOn,
} from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';
import { shootClient } from '../helpers/shoot-client.js';
import { loopbackTwinOf } from '../helpers/test-matrix.js';

inOwnNetns(
  {
    fileUrl: import.meta.url,
    marker: 'TRANSPLANT_DNS_E2E_NETNS',
    prefix: 'tp-dns',
    title: 'a migration with DNS endpoints, in a network namespace of its own',
    // hosts-migration moves a shoot with DNS endpoints between real hosts: the record switched,
    // the machine renewing its lease through the name, the kubeconfig issued before working.
    skip: loopbackTwinOf('hosts-migration'),
  },
  insideTheNamespace,
);

function insideTheNamespace(netns: string): void {
  describe(`a migration with DNS endpoints (inside ${netns})`, () => {
    let knot: KnotServer;
    let shoot: ShootOnLandscape;
    let machinePid: number | undefined;

    before(async () => {
      knot = await startNamespaceKnot();
      shoot = await startShootOnLandscape({
        upArgs: POOL_ARGS,
        beforeShoot: (landscape) => applyInternalDomain(landscape.garden, knot),
      });
    });

    after(async () => {
      await shoot?.stop();
      await knot?.stop();
    });

    async function machineOfShoot(): Promise<number | undefined> {
      const dir = join(shoot.landscape.dir, 'infrastructure', CONTROL_PLANE, MACHINE);
      const [pid] = await findProcessesByArgument(MACHINE_DIR_ARGUMENT, (d) => d === dir);
      return pid;
    }

    async function dnsRecord(seed: string): Promise<Json> {
      const got = await kubectl(shoot.landscape.seedKubeconfig(seed), [
        'get',
        'dnsrecords.extensions.gardener.cloud',
        '-n',
        CONTROL_PLANE,
        `${SHOOT}-internal`,
        '-o',
        'json',
      ]);
      assert.equal(got.code, 0, got.stderr);
      return JSON.parse(got.stdout);
    }

    it("the shoot's endpoint is its DNS name, published on knotd with seed-a's pool address", async () => {
      const s = await shoot.landscape.shoot(SHOOT_NAMESPACE, SHOOT);
      assert.deepEqual(s.status.advertisedAddresses, [{ name: 'external', url: `https://${API_NAME}` }]);
      assert.deepEqual(await queryA(DNS, API_NAME), [ADDRESS['seed-a']]);
      const record = await dnsRecord('seed-a');
      assert.equal(record.spec.type, 'rfc2136');
      assert.equal(record.spec.name, API_NAME);
      assert.deepEqual(record.spec.values, [ADDRESS['seed-a']]);
      assert.equal(record.spec.ttl, 120);
      assert.deepEqual(record.spec.secretRef, { name: 'dnsrecord-internal', namespace: CONTROL_PLANE });
      const kubeconfig = await kubectl(shoot.kubeconfig, [
        'config',
        'view',
        '-o',
        'jsonpath={.clusters[0].cluster.server}',
      ]);
      assert.equal(kubeconfig.stdout, `https://${API_NAME}`);
      // The machine reaches the API through the name: its node is Ready.
      await eventually(
        async () => ((await readyNodes(shoot.client)).includes(MACHINE) ? true : undefined),
        60_000,
        'the node Ready',
      );
      machinePid = await machineOfShoot();
      assert.ok(machinePid, 'the machine runs');
      assert.ok(
        (commandLine(machinePid) ?? []).some((a) => a.includes(API_NAME)),
        'the machine is configured with the name, not an address',
      );
    });

    it("after the seed document's trigger the record points at seed-b's address and everything follows it", async () => {
      await triggerMigration(shoot.landscape.garden, 'seed-b');
      const restored = await waitForRestoreOn(shoot.landscape, 'seed-b');
      const restoredAt = new Date().toISOString();
      assert.deepEqual(restored.status.advertisedAddresses, [{ name: 'external', url: `https://${API_NAME}` }]);
      assert.deepEqual(await queryA(DNS, API_NAME), [ADDRESS['seed-b']]);
      assert.deepEqual((await dnsRecord('seed-b')).spec.values, [ADDRESS['seed-b']]);
      // seed-a let go of its address with the control-plane namespace.
      const left = await kubectl(shoot.landscape.seedKubeconfig('seed-a'), ['get', 'namespace', CONTROL_PLANE]);
      assert.notEqual(left.code, 0, 'the control-plane namespace is gone from seed-a');

      assert.equal(await machineOfShoot(), machinePid, 'the same machine process');
      await waitForLeaseRenewedAfter(shoot.client, restoredAt);
      assert.deepEqual(await readyNodes(shoot.client), [MACHINE]);

      // The kubeconfig issued before the move, in a new client and with kubectl.
      const fresh = await shootClient(shoot.kubeconfig);
      try {
        const { status } = await fresh.request('GET', '/api/v1/namespaces/default');
        assert.equal(status, 200);
      } finally {
        fresh.close();
      }
      const nodes = await kubectl(shoot.kubeconfig, ['get', 'nodes', '-o', 'name']);
      assert.equal(nodes.code, 0, nodes.stderr);
      assert.equal(nodes.stdout.trim(), `node/${MACHINE}`);
    });
  });
}
