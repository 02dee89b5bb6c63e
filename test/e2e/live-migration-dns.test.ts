/**
 * A live migration (issue 17) with DNS endpoints: the landscape of test/e2e/migration-dns.test.ts
 * (its own network namespace, knotd as the resolver, seeds with address pools, the internal-domain
 * Secret), a single-member shoot (`make test-matrix` also a highly available one: 3 etcd members,
 * 2 kube-apiserver replicas behind the endpoint proxy on the seed's pool address) annotated `migration.gardener.cloud/live-migrate: "true"` and the seed
 * document's binding command. The continuity probe (a write every 20 ms, a reader, a watch opened
 * before the move) resolves the shoot's name at knotd for every new connection, and knotd is asked
 * every 10 ms throughout. Afterwards: knotd serves seed-b's address; the source closed its
 * connections only after knotd served it (every watch re-open comes after the first answer naming
 * seed-b, and no answer names seed-a after it); every acknowledged write is stored; the watch missed
 * no event and got no 410; the destination's etcd member ran from its join on (the Restore adopted it
 * without a restart); the machine renews its lease through the name; the old kubeconfig works.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryA } from '../../src/dns/rfc2136-client.js';
import type { KnotServer } from '../../src/landscape/knot-server.js';
import {
  type ContinuityReport,
  continuityProblems,
  describeContinuity,
  describePauseTimes,
  probeWriterRecords,
  startContinuityProbe,
} from '../helpers/continuity-probe.js';
import { lookupAt } from '../helpers/dns-lookup.js';
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
  triggerLiveMigration,
  waitForLeaseRenewedAfter,
} from '../helpers/migration.js';
import { etcdPidsUnder, eventually } from '../helpers/processes.js';
import { checkWrites } from '../helpers/shoot-writer.js';
import { testMatrixOnly } from '../helpers/test-matrix.js';

/**
 * The shoots moved: `make test` the single-member one (the HA one costs the suite 45 s more on two
 * cores), `make test-matrix` the highly available one too.
 */
const VARIANTS = [
  { title: 'a single-member shoot', failureTolerance: undefined, members: 1, skip: false as const },
  {
    title: 'a highly available shoot',
    failureTolerance: 'node' as const,
    members: 3,
    skip: testMatrixOnly('the single-member shoot'),
  },
];

inOwnNetns(
  {
    fileUrl: import.meta.url,
    marker: 'TRANSPLANT_LIVE_DNS_E2E_NETNS',
    prefix: 'tp-ldns',
    title: 'a live migration with DNS endpoints, in a network namespace of its own',
  },
  insideTheNamespace,
);

/** knotd's answers for the shoot's name, asked every `intervalMs` until stopped. */
function watchAnswers(intervalMs: number): { answers: { at: number; addresses: string[] }[]; stop(): Promise<void> } {
  const answers: { at: number; addresses: string[] }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const addresses = await queryA(DNS, API_NAME).catch(() => undefined);
      if (addresses) answers.push({ at: Date.now(), addresses });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    answers,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

function insideTheNamespace(netns: string): void {
  for (const variant of VARIANTS) liveMigrationWithDns(netns, variant);
}

function liveMigrationWithDns(netns: string, variant: (typeof VARIANTS)[number]): void {
  describe(`a live migration of ${variant.title} with DNS endpoints (inside ${netns})`, { skip: variant.skip }, () => {
    let knot: KnotServer;
    let shoot: ShootOnLandscape;
    let report: ContinuityReport;
    let answers: { at: number; addresses: string[] }[];
    let restoredAt: string;
    /** Every pid of an etcd of seed-b seen during the move, asked every 50 ms. */
    const destinationEtcdPids = new Set<number>();

    before(async () => {
      knot = await startNamespaceKnot();
      shoot = await startShootOnLandscape({
        upArgs: POOL_ARGS,
        failureTolerance: variant.failureTolerance,
        beforeShoot: (landscape) => applyInternalDomain(landscape.garden, knot),
      });
      assert.deepEqual(await queryA(DNS, API_NAME), [ADDRESS['seed-a']]);
      const ns = await shoot.client.request('POST', '/api/v1/namespaces', { metadata: { name: 'probe' } });
      assert.equal(ns.status, 201, JSON.stringify(ns.body));
      const dns = watchAnswers(10);
      let moving = true;
      const pids = (async () => {
        while (moving) {
          for (const pid of await etcdPidsUnder(join(shoot.landscape.dir, 'seeds', 'seed-b')))
            destinationEtcdPids.add(pid);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      answers = dns.answers;
      const probe = await startContinuityProbe(shoot.kubeconfig, {
        namespace: 'probe',
        prefix: 'live-dns',
        lookup: lookupAt(DNS),
      });
      try {
        await probe.moreWrites(50, 30_000);
        await triggerLiveMigration(shoot.landscape.garden, 'seed-b');
        const restored = await shoot.landscape.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 240_000);
        assert.equal(restored.status.seedName, 'seed-b');
        restoredAt = new Date().toISOString();
        await probe.moreWrites(50, 30_000);
      } finally {
        report = await probe.stop();
        await dns.stop();
        moving = false;
        await pids;
      }
    });

    after(async () => {
      await shoot?.stop();
      await knot?.stop();
    });

    it("knotd serves seed-b's address, and seed-a closed its connections only after that", async (t) => {
      assert.deepEqual(await queryA(DNS, API_NAME), [ADDRESS['seed-b']]);
      const switched = answers.find((a) => a.addresses.includes(ADDRESS['seed-b']));
      assert.ok(switched, 'knotd answered with seed-b during the move');
      t.diagnostic(`knotd first served seed-b at ${new Date(switched.at).toISOString()}`);
      const later = answers.filter((a) => a.at >= switched.at);
      assert.deepEqual(
        later.filter((a) => a.addresses.join() !== ADDRESS['seed-b']),
        [],
        'no answer names anything but seed-b once it was served',
      );
      // The watch re-opens when its connection is closed: never before the name pointed at seed-b.
      const early = report.watch.reopens.filter((r) => r.at < switched.at);
      assert.deepEqual(early, [], 'no connection closed before knotd served the new address');
    });

    it('keeps every acknowledged write, and the watch saw every event without a 410', async (t) => {
      t.diagnostic(describeContinuity(report));
      t.diagnostic(
        `${describePauseTimes(report)}; ` +
          `watch re-opens ${report.watch.reopens.map((r) => `${new Date(r.at).toISOString()} (${r.reason})`).join(', ')}`,
      );
      assert.deepEqual(continuityProblems(report), []);
      assert.equal(report.watch.gone.length, 0, 'no 410 Gone');
      const { items } = await shoot.client.listConfigMaps('probe');
      const check = checkWrites(probeWriterRecords(report), items);
      assert.deepEqual(check.missing, [], 'no acknowledged write is missing');
      assert.deepEqual(check.changed, [], 'every acknowledged write has its resourceVersion and content');
    });

    it("runs the destination's members from their join on: the Restore adopts them without a restart", () => {
      assert.equal(
        destinationEtcdPids.size,
        variant.members,
        `etcd pids on seed-b: ${[...destinationEtcdPids].join(', ')}`,
      );
    });

    it('runs the control plane only on seed-b; the machine renews its lease through the name', async () => {
      const l = shoot.landscape;
      await eventually(
        async () => ((await etcdPidsUnder(join(l.dir, 'seeds', 'seed-a'))).length === 0 ? true : undefined),
        60_000,
        'no etcd of the shoot on seed-a',
      );
      const ns = await kubectl(l.seedKubeconfig('seed-a'), ['get', 'namespace', CONTROL_PLANE]);
      assert.match(ns.stderr, /NotFound/);
      await waitForLeaseRenewedAfter(shoot.client, restoredAt);
      assert.deepEqual(await readyNodes(shoot.client), [MACHINE]);
    });

    it('serves the admin kubeconfig issued before the move', async () => {
      const nodes = await kubectl(shoot.kubeconfig, ['get', 'nodes', '-o', 'name']);
      assert.equal(nodes.code, 0, nodes.stderr);
      assert.equal(nodes.stdout.trim(), `node/${MACHINE}`);
    });
  });
}
