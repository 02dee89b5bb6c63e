/**
 * The two probes of a migration preflight, against real listeners:
 * - the target seed's probe of the source's backup store: an HTTP server answers (any status),
 *   a closed port and a dropped connect do not, a local store is a readable directory;
 * - a machine's probe of the target seed (MachineProbeAnswerer): the seed's real probe listener
 *   is reached; the machine's egress deny list naming the seed, a wrong listener and a closed
 *   port are not; each question is answered once, on the Node.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { KubeObject } from '../../src/api/meta.js';
import {
  MACHINE_PROBE_REQUEST_ANNOTATION,
  MACHINE_PROBE_RESULT_ANNOTATION,
  type MachineProbeResult,
} from '../../src/api/migration-transplant/migration-preflight.js';
import { freePort } from '../../src/process/etcd-process.js';
import {
  type EtcdPeerProbeListener,
  probeCommonName,
  startEtcdPeerProbeListener,
} from '../../src/seed/gardenlet/etcd-peer-probe.js';
import { probeBackupStore } from '../../src/seed/gardenlet/migration-preflight-prober.js';
import { EgressPolicy } from '../../src/shoot/egress-policy.js';
import { MachineProbeAnswerer } from '../../src/shoot/machine-probe.js';

const listening = async (server: Server | TcpServer) => {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
};

describe('the backup store probe', () => {
  let dir: string;
  let http: Server;
  let httpPort: number;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-probe-'));
    // S3 answers an anonymous HEAD with 403: an answer all the same.
    http = createServer((_req, res) => res.writeHead(403).end());
    httpPort = await listening(http);
  });
  after(async () => {
    http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts any HTTP answer as reached, and names the endpoint and the error otherwise', async () => {
    assert.equal(await probeBackupStore(`http://127.0.0.1:${httpPort}`, 2_000), undefined);
    const closed = await freePort();
    assert.equal(
      await probeBackupStore(`http://127.0.0.1:${closed}`, 2_000),
      `cannot reach http://127.0.0.1:${closed} (ECONNREFUSED)`,
    );
    assert.match((await probeBackupStore('s3://bucket', 2_000)) ?? '', /cannot probe s3: endpoints/);
  });

  it('times out on a listener that never answers', async () => {
    const silent = createTcpServer(() => {});
    const port = await listening(silent);
    try {
      assert.equal(
        await probeBackupStore(`http://127.0.0.1:${port}`, 300),
        `cannot reach http://127.0.0.1:${port} (connect timeout)`,
      );
    } finally {
      silent.close();
    }
  });

  it('reads a local store as a directory', async () => {
    assert.equal(await probeBackupStore(pathToFileURL(dir).href, 1_000), undefined);
    assert.match(
      (await probeBackupStore(pathToFileURL(join(dir, 'missing')).href, 1_000)) ?? '',
      /cannot read .*missing \(ENOENT\)/,
    );
  });
});

describe("a machine's probe of the target seed", () => {
  let dir: string;
  let listener: EtcdPeerProbeListener;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'machine-probe-'));
    listener = await startEtcdPeerProbeListener({ seed: 'seed-b', host: '127.0.0.1', portFile: join(dir, 'port') });
  });
  after(async () => {
    await listener?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The answers the agent writes for a Node carrying `question`, with the machine's deny list `denied`. */
  const answer = async (question: Record<string, string>, denied: string[] = []) => {
    const denyFile = join(dir, 'egress-deny');
    await writeFile(denyFile, denied.join('\n'));
    const written: MachineProbeResult[] = [];
    const answerer = new MachineProbeAnswerer({
      egress: new EgressPolicy(denyFile),
      annotate: async (annotations) => written.push(JSON.parse(annotations[MACHINE_PROBE_RESULT_ANNOTATION]!)),
      timeoutMs: 2_000,
    });
    const node: KubeObject = {
      metadata: { name: 'machine-0', annotations: { [MACHINE_PROBE_REQUEST_ANNOTATION]: JSON.stringify(question) } },
    };
    await answerer.consider(node);
    await answerer.consider(node); // a second watch event of the same question
    return written;
  };
  const question = (overrides: Record<string, string> = {}) => ({
    id: 'preflight-uid',
    seed: 'seed-b',
    endpoint: `127.0.0.1:${listener.port}`,
    commonName: probeCommonName('seed-b'),
    ...overrides,
  });

  it("reaches the seed's listener, and answers a question once", async () => {
    assert.deepEqual(await answer(question()), [
      { id: 'preflight-uid', seed: 'seed-b', endpoint: `127.0.0.1:${listener.port}`, reachable: true },
    ]);
  });

  it('does not reach a seed its egress deny list names, another listener, or a closed port', async () => {
    const [denied] = await answer(question(), ['seed-b']);
    assert.equal(denied?.reachable, false);
    assert.match(denied?.error ?? '', /egress to seed seed-b is denied by .*egress-deny/);
    const [wrong] = await answer(question({ commonName: probeCommonName('seed-c') }));
    assert.match(wrong?.error ?? '', /is not seed "seed-b"'s probe listener \(certificate "etcd-peer-probe.seed-b"\)/);
    const closed = await freePort();
    const [refused] = await answer(question({ endpoint: `127.0.0.1:${closed}` }));
    assert.match(refused?.error ?? '', /ECONNREFUSED/);
  });

  it('leaves a Node without a question, or with a malformed one, alone', async () => {
    assert.deepEqual(await answer({ id: 'x' }), []);
  });
});
