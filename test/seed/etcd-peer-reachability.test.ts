/**
 * A gardenlet's etcd peer probe and reachability report (src/seed/gardenlet/etcd-peer-probe.ts,
 * etcd-peer-reachability.ts): real TLS listeners on loopback, a real garden, and the failures a
 * probe tells apart (refused, no handshake, another seed's listener).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ETCD_PEER_ENDPOINT_ANNOTATION,
  ETCD_PEERS_REACHED_ANNOTATION,
  etcdPeerReport,
} from '../../src/api/core-gardener/etcd-peer-reachability.js';
import { seedResource } from '../../src/api/core-gardener/seed.js';
import { nowTimestamp } from '../../src/api/meta.js';
import { freePort } from '../../src/process/etcd-process.js';
import {
  advertisedEtcdPeerEndpoint,
  type EtcdPeerProbeListener,
  probeEtcdPeerEndpoint,
  startEtcdPeerProbeListener,
} from '../../src/seed/gardenlet/etcd-peer-probe.js';
import { EtcdPeerReachability } from '../../src/seed/gardenlet/etcd-peer-reachability.js';
import { parseEndpoint } from '../../src/shoot/tls-listener-probe.js';
import { seedManifest } from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { eventually } from '../helpers/processes.js';

describe('etcd peer probe', () => {
  let dir: string;
  let listener: EtcdPeerProbeListener;
  /** Accepts connections and never answers: a handshake that never completes. */
  let silent: Server;
  const silentSockets: Socket[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-peer-probe-'));
    listener = await startEtcdPeerProbeListener({
      seed: 'seed-x',
      host: '127.0.0.1',
      portFile: join(dir, 'port.json'),
    });
    silent = createServer((socket) => silentSockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await listener?.close();
    for (const socket of silentSockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("completes a TLS handshake with the seed's listener", async () => {
    const endpoint = `127.0.0.1:${listener.port}`;
    assert.deepEqual(await probeEtcdPeerEndpoint('seed-x', endpoint, 5_000), { endpoint, reachable: true });
  });

  it('tells a refused connect, a missing handshake and another seed apart', async () => {
    const refused = `127.0.0.1:${await freePort()}`;
    const r = await probeEtcdPeerEndpoint('seed-x', refused, 5_000);
    assert.equal(r.reachable, false);
    assert.match(r.error ?? '', /ECONNREFUSED/);

    const mute = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const m = await probeEtcdPeerEndpoint('seed-x', mute, 300);
    assert.deepEqual(m, { endpoint: mute, reachable: false, error: 'no TLS handshake within 300 ms' });

    const other = await probeEtcdPeerEndpoint('seed-y', `127.0.0.1:${listener.port}`, 5_000);
    assert.equal(other.reachable, false);
    assert.match(other.error ?? '', /is not seed "seed-y"'s etcd peer probe \(certificate "etcd-peer-probe\.seed-x"\)/);

    const bad = await probeEtcdPeerEndpoint('seed-x', 'no-port', 5_000);
    assert.match(bad.error ?? '', /not a host:port/);
  });

  it('keeps its port across restarts (so other seeds keep reaching the endpoint they probed)', async () => {
    const portFile = join(dir, 'restart.json');
    const first = await startEtcdPeerProbeListener({ seed: 'seed-z', host: '127.0.0.1', portFile });
    await first.close();
    const second = await startEtcdPeerProbeListener({ seed: 'seed-z', host: '127.0.0.1', portFile });
    await second.close();
    assert.equal(second.port, first.port);
    assert.deepEqual(JSON.parse(await readFile(portFile, 'utf8')), { port: first.port });
  });

  it('publishes an advertised address as given when it has a port, else with the listener port', () => {
    assert.equal(advertisedEtcdPeerEndpoint('10.0.0.5', 7001), '10.0.0.5:7001');
    assert.equal(advertisedEtcdPeerEndpoint('203.0.113.9:443', 7001), '203.0.113.9:443');
    assert.equal(advertisedEtcdPeerEndpoint('::1', 7001), '[::1]:7001');
    assert.deepEqual(parseEndpoint('[::1]:7001'), { host: '::1', port: 7001 });
    assert.equal(parseEndpoint('host:99999'), undefined);
  });
});

describe('etcd peer reachability report', () => {
  let t: TestGarden;
  let dir: string;
  const listeners: EtcdPeerProbeListener[] = [];
  const reporters: EtcdPeerReachability[] = [];

  before(async () => {
    t = await startTestGarden();
    dir = await mkdtemp(join(tmpdir(), 'transplant-peer-report-'));
    for (const name of ['seed-x', 'seed-y', 'seed-cut', 'seed-p', 'seed-q'])
      await t.garden.hosted.client.resource(seedResource).create('', seedManifest(name));
  });
  after(async () => {
    for (const reporter of reporters) reporter.stop();
    for (const listener of listeners) await listener.close();
    await t?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** A seed's listener and reporter, publishing `advertise` (default its listener's own endpoint). */
  async function seedPeer(name: string, advertise?: string): Promise<EtcdPeerReachability> {
    const listener = await startEtcdPeerProbeListener({
      seed: name,
      host: '127.0.0.1',
      portFile: join(dir, `${name}.json`),
    });
    listeners.push(listener);
    const reporter = new EtcdPeerReachability({
      seed: name,
      garden: t.garden.hosted.client,
      endpoint: advertise ?? `127.0.0.1:${listener.port}`,
      intervalMs: 3_600_000,
      timeoutMs: 2_000,
    });
    reporters.push(reporter);
    return reporter;
  }

  it('publishes its endpoint, reports whom it reaches on its own Seed, and writes only changes', async () => {
    const x = await seedPeer('seed-x');
    const y = await seedPeer('seed-y');
    const cut = await seedPeer('seed-cut', `127.0.0.1:${await freePort()}`);
    await y.start();
    await cut.start();
    // x's first round runs in the background once it published its own endpoint; the next
    // (asked for here) comes after it.
    await x.start();
    const seeds = t.garden.hosted.client.resource(seedResource);
    const published = (await seeds.get('', 'seed-cut')).metadata.annotations?.[ETCD_PEER_ENDPOINT_ANNOTATION];
    assert.match(published ?? '', /^127\.0\.0\.1:\d+$/);

    const report = await x.probeAll();
    assert.equal(report['seed-y']?.reachable, true);
    assert.equal(report['seed-cut']?.reachable, false);
    assert.equal(report['seed-cut']?.endpoint, published);
    assert.match(report['seed-cut']?.error ?? '', /ECONNREFUSED/);
    const seedX = await seeds.get('', 'seed-x');
    assert.deepEqual(etcdPeerReport(seedX), report);
    const condition = x.condition();
    assert.equal(condition?.status, 'False');
    assert.match(
      condition?.message ?? '',
      /Cannot reach the etcd peer endpoints of seeds seed-cut \(127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );

    // Nothing changed: no write.
    await x.probeAll();
    assert.equal((await seeds.get('', 'seed-x')).metadata.resourceVersion, seedX.metadata.resourceVersion);
    assert.equal(
      (await seeds.get('', 'seed-x')).metadata.annotations?.[ETCD_PEERS_REACHED_ANNOTATION],
      seedX.metadata.annotations?.[ETCD_PEERS_REACHED_ANNOTATION],
    );

    const fromY = await y.probeAll();
    assert.equal(fromY['seed-x']?.reachable, true);
  });

  it('judges a restarted seed afresh when its Seed changes, not an interval later', async () => {
    const seeds = t.garden.hosted.client.resource(seedResource);
    const reportOfP = async () => etcdPeerReport(await seeds.get('', 'seed-p'))['seed-q'];
    // p probes on its own only once an hour: what follows comes from its watch of the Seeds.
    const p = await seedPeer('seed-p');
    let q = await seedPeer('seed-q');
    await q.start();
    await p.start();
    await eventually(async () => (await reportOfP())?.reachable || undefined, 20_000, 'p reaches q');

    // q goes down; p learns it in a round (as its interval would bring).
    q.stop();
    await listeners.pop()!.close();
    await p.probeAll();
    assert.equal((await reportOfP())?.reachable, false);

    // q comes back on its kept port; its heartbeat writes its Seed at start.
    q = await seedPeer('seed-q');
    await q.start();
    const beat = { type: 'GardenletReady', status: 'True', reason: 'Restarted', lastUpdateTime: nowTimestamp() };
    await seeds.patch('', 'seed-q', { status: { conditions: [beat] } }, { subresource: 'status' });
    const back = await eventually(
      async () => {
        const r = await reportOfP();
        return r?.reachable ? r : undefined;
      },
      20_000,
      "p reports q reachable again after q's Seed changed",
    );
    assert.equal(back.endpoint, `127.0.0.1:${listeners.at(-1)!.port}`);

    // q comes back on another port (its port file lost): the endpoint it publishes changes.
    q.stop();
    await listeners.pop()!.close();
    await rm(join(dir, 'seed-q.json'));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(back.endpoint.split(':')[1]), '127.0.0.1', resolve));
    try {
      q = await seedPeer('seed-q');
      assert.notEqual(listeners.at(-1)!.port, Number(back.endpoint.split(':')[1]));
      await q.start();
      const moved = `127.0.0.1:${listeners.at(-1)!.port}`;
      await eventually(
        async () => {
          const r = await reportOfP();
          return r?.endpoint === moved && r.reachable ? r : undefined;
        },
        20_000,
        "p reports q's new endpoint reachable",
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
