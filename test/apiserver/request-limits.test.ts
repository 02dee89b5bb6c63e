/**
 * The limits of the generic API server over real HTTPS: bodies over 3 MiB refused with 413 on a
 * connection that stays usable, requests in flight and open watches capped per user with 429 and
 * `Retry-After` (and `RestClient` waiting as told), and slow clients cut off: headers trickled, a
 * body trickled, a keep-alive connection left idle, a TLS handshake never finished.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { configMapResource } from '../../src/api/core/config-map.js';
import { isStatusError } from '../../src/api/errors.js';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { ApiServer, type ApiServerOptions, type CustomHandler, type Refusal } from '../../src/apiserver/server.js';
import { RestClient } from '../../src/client/rest-client.js';
import { builtinDefinitions } from '../../src/registry/builtin/index.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';

const MiB = 1024 * 1024;
const definitions = builtinDefinitions.filter(
  (d) => d.group === '' && (d.plural === 'configmaps' || d.plural === 'namespaces'),
);

/** Requests to `/apis/limits.test/v1/holds` wait until the test lets them go: requests held in flight. */
class Holds {
  #waiting: (() => void)[] = [];
  #arrived: (() => void)[] = [];
  get count(): number {
    return this.#waiting.length;
  }
  readonly handler: CustomHandler = {
    group: 'limits.test',
    version: 'v1',
    resource: 'holds',
    handle: async () => {
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        for (const arrived of this.#arrived.splice(0)) arrived();
      });
      return { code: 200, body: { kind: 'Status', apiVersion: 'v1', status: 'Success' } };
    },
  };
  /** Resolves once `n` requests are held. */
  async held(n: number): Promise<void> {
    while (this.#waiting.length < n) await new Promise<void>((resolve) => this.#arrived.push(resolve));
  }
  releaseAll(): void {
    for (const release of this.#waiting.splice(0)) release();
  }
}

interface TestServer {
  server: ApiServer;
  port: number;
  caPem: string;
  holds: Holds;
  refusals: Refusal[];
  stop(): Promise<void>;
}

async function startServer(options: Partial<Pick<ApiServerOptions, 'limits' | 'timeouts'>> = {}): Promise<TestServer> {
  const ca = await generateCertificateAuthority('limits-test');
  const serving = await issueCertificate(ca, { commonName: 'api', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const storage = openSqliteStore({ path: ':memory:' });
  const holds = new Holds();
  const refusals: Refusal[] = [];
  const server = new ApiServer({
    resources: definitions,
    storage,
    admission: [],
    // The bearer token is the user's name; `root` is in system:masters.
    authenticator: {
      authenticate: async ({ headers }) => {
        const name = String(headers.authorization ?? '').replace(/^Bearer /, '');
        if (!name) return null;
        return { name, groups: name === 'root' ? ['system:masters'] : ['system:authenticated'] };
      },
    },
    authorizer: { authorize: async () => ({ decision: 'allow', reason: '' }) },
    tls: { certPem: serving.certPem, keyPem: serving.keyPem },
    customHandlers: [holds.handler],
    logger: pino({ level: 'silent' }),
    onRefusal: (refusal) => refusals.push(refusal),
    ...options,
  });
  const { port } = await server.start();
  return {
    server,
    port,
    caPem: ca.certPem,
    holds,
    refusals,
    stop: async () => {
      holds.releaseAll();
      await server.stop();
      await storage.close();
    },
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Json;
  /** The client port of the connection that carried it (the same port: the same connection). */
  localPort: number | undefined;
}

function send(
  t: TestServer,
  agent: Agent,
  user: string,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: t.port,
        method,
        path,
        agent,
        headers: {
          authorization: `Bearer ${user}`,
          'content-type': 'application/json',
          ...(body && !headers['transfer-encoding'] ? { 'content-length': String(body.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Json;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json, localPort: res.socket?.localPort });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body && headers['transfer-encoding'] === 'chunked') {
      // Streamed in pieces, with no length announced: the limit must be found while reading.
      for (let offset = 0; offset < body.length; offset += 256 * 1024)
        req.write(body.subarray(offset, offset + 256 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** A small ConfigMap as a JSON body of exactly `bytes`, padded with whitespace (valid JSON, valid object). */
function configMapOfSize(name: string, bytes: number): Buffer {
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: name } });
  return Buffer.from(json.padEnd(bytes, ' '));
}

const configMaps = '/api/v1/namespaces/default/configmaps';

describe('request body limit', () => {
  let t: TestServer;
  let agent: Agent;
  before(async () => {
    t = await startServer();
    agent = new Agent({ keepAlive: true, maxSockets: 1, ca: t.caPem });
  });
  after(async () => {
    agent.destroy();
    await t.stop();
  });

  it('accepts a body of exactly 3 MiB', async () => {
    const res = await send(t, agent, 'alice', 'POST', configMaps, configMapOfSize('exact', 3 * MiB));
    assert.equal(res.status, 201, JSON.stringify(res.json).slice(0, 300));
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    it(`refuses 3 MiB + 1 (${framing}) with 413 and keeps the connection usable`, async () => {
      const headers: Record<string, string> = framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : {};
      const refused = await send(
        t,
        agent,
        'alice',
        'POST',
        configMaps,
        configMapOfSize(`big-${framing}`, 3 * MiB + 1),
        headers,
      );
      assert.equal(refused.status, 413);
      assert.equal(refused.json.kind, 'Status');
      assert.equal(refused.json.reason, 'RequestEntityTooLarge');
      assert.equal(refused.json.message, 'Request entity too large: limit is 3145728');
      const next = await send(t, agent, 'alice', 'GET', configMaps);
      assert.equal(next.status, 200);
      assert.equal(next.localPort, refused.localPort, 'the next request went over another connection');
      assert.ok(t.refusals.some((r) => r.status.code === 413 && r.user?.name === 'alice' && r.method === 'POST'));
      const missing = await send(t, agent, 'alice', 'GET', `${configMaps}/big-${framing}`);
      assert.equal(missing.status, 404);
    });
  }
});

describe('requests in flight per user', () => {
  const cap = 3;
  let t: TestServer;
  let agent: Agent;
  before(async () => {
    t = await startServer({ limits: { maxRequestsInFlightPerUser: cap } });
    agent = new Agent({ keepAlive: true, maxSockets: 16, ca: t.caPem });
  });
  after(async () => {
    agent.destroy();
    await t.stop();
  });

  it('refuses a user over its cap with 429 and Retry-After while another user is served', async () => {
    const held = Array.from({ length: cap }, () => send(t, agent, 'alice', 'GET', '/apis/limits.test/v1/holds'));
    await t.holds.held(cap);
    const refused = await send(t, agent, 'alice', 'GET', configMaps);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.json.reason, 'TooManyRequests');
    assert.equal(refused.json.details?.retryAfterSeconds, 1);
    assert.ok(t.refusals.some((r) => r.status.code === 429 && r.user?.name === 'alice'));
    // Another user, and the superuser (exempt, as kube-apiserver's system:masters), are served meanwhile.
    assert.equal((await send(t, agent, 'bob', 'GET', configMaps)).status, 200);
    assert.equal((await send(t, agent, 'root', 'GET', configMaps)).status, 200);
    t.holds.releaseAll();
    for (const res of await Promise.all(held)) assert.equal(res.status, 200);
    assert.equal((await send(t, agent, 'alice', 'GET', configMaps)).status, 200);
    assert.equal(t.server.stopWatchesOf('alice'), 0);
  });

  it('kubectl waits as long as Retry-After says and sends the request again', async () => {
    const held = Array.from({ length: cap }, () => send(t, agent, 'dave', 'GET', '/apis/limits.test/v1/holds'));
    await t.holds.held(cap);
    const dir = await mkdtemp(join(tmpdir(), 'limits-kubectl-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(
        kubeconfig,
        buildKubeconfig({
          clusterName: 'limits',
          server: `https://127.0.0.1:${t.port}`,
          caPem: t.caPem,
          user: { name: 'dave', token: 'dave' },
        }),
        { mode: 0o600 },
      );
      const refusedBefore = t.refusals.filter((r) => r.user?.name === 'dave').length;
      const listed = kubectl(kubeconfig, ['get', 'configmaps', '-n', 'default', '-v=6']);
      while (t.refusals.filter((r) => r.user?.name === 'dave').length === refusedBefore) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      t.holds.releaseAll();
      const result = await listed;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Retry-After 1s/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await Promise.all(held);
  });

  it('RestClient waits as long as Retry-After says and sends the request again', async () => {
    const held = Array.from({ length: cap }, () => send(t, agent, 'carol', 'GET', '/apis/limits.test/v1/holds'));
    await t.holds.held(cap);
    const refusedBefore = t.refusals.filter((r) => r.user?.name === 'carol').length;
    const client = new RestClient({ server: `https://127.0.0.1:${t.port}`, caPem: t.caPem, token: 'carol' });
    try {
      const listed = client.resource(configMapResource).list('default');
      // Let the holds go only once the client was refused: its list must then get through on a retry.
      while (t.refusals.filter((r) => r.user?.name === 'carol').length === refusedBefore) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      t.holds.releaseAll();
      const list = await listed;
      assert.ok(Array.isArray(list.items));
    } finally {
      client.close();
    }
    await Promise.all(held);
  });
});

describe('open watches per user', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ limits: { maxWatchesPerUser: 2 } });
  });
  after(async () => {
    await t.stop();
  });

  it('refuses a third watch of one user with 429, not another user’s, and admits one again when a watch ends', async () => {
    const client = (user: string) =>
      new RestClient({ server: `https://127.0.0.1:${t.port}`, caPem: t.caPem, token: user });
    const alice = client('alice');
    const bob = client('bob');
    const configmaps = (c: RestClient) => c.resource(configMapResource);
    try {
      const first = await configmaps(alice).watch('default');
      const second = await configmaps(alice).watch('default');
      // RestClient would retry a 429 for 10 s: ask once with a plain request instead.
      const agent = new Agent({ keepAlive: false, ca: t.caPem });
      const refused = await send(t, agent, 'alice', 'GET', `${configMaps}?watch=true&timeoutSeconds=5`);
      agent.destroy();
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '1');
      assert.match(refused.json.message, /Too many open watches/);
      const bobs = await configmaps(bob).watch('default');
      assert.equal(t.server.stopWatchesOf('bob'), 1);
      bobs.stop();
      first.stop();
      // The server learns of the closed watch from the connection's close; RestClient retries the 429 meanwhile.
      const third = await configmaps(alice).watch('default');
      third.stop();
      second.stop();
    } catch (err) {
      if (isStatusError(err)) assert.fail(JSON.stringify(err.status));
      throw err;
    } finally {
      alice.close();
      bob.close();
    }
  });
});

describe('slow clients', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({
      timeouts: { handshakeMs: 500, headersMs: 500, requestMs: 1_000, keepAliveMs: 500, checkIntervalMs: 100 },
    });
  });
  after(async () => {
    await t.stop();
  });

  const open = async (): Promise<TLSSocket> => {
    const socket = connectTls({ host: '127.0.0.1', port: t.port, ca: t.caPem, servername: '127.0.0.1' });
    await once(socket, 'secureConnect');
    return socket;
  };

  /** Writes `bytes` one at a time, `intervalMs` apart, until the server closes; what the server answered. */
  const trickle = async (socket: TLSSocket, head: string, bytes: string, intervalMs: number) => {
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    socket.write(head);
    const started = Date.now();
    let sent = 0;
    for (const byte of bytes) {
      if (socket.destroyed || socket.writableEnded || socket.readableEnded) break;
      socket.write(byte);
      sent++;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    const cutOff = sent < bytes.length;
    socket.destroy();
    await closed;
    return { cutOff, ms: Date.now() - started, answer: Buffer.concat(received).toString('latin1') };
  };

  it('cuts off a client that trickles its headers', async () => {
    const socket = await open();
    // 100 header bytes, one every 50 ms: 5 s if the server waited for them all.
    const result = await trickle(
      socket,
      'GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n',
      'X-Slow: '.padEnd(100, 'a'),
      50,
    );
    assert.ok(result.cutOff, 'the server read every trickled header byte');
    assert.ok(result.ms >= 450, `cut off after ${result.ms} ms, before the headers timeout`);
    assert.match(result.answer, /^HTTP\/1.1 408/);
  });

  it('cuts off a client that trickles its body', async () => {
    const socket = await open();
    const head =
      'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\n' +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const result = await trickle(socket, head, '{'.padEnd(100, ' '), 50);
    assert.ok(result.cutOff, 'the server read every trickled body byte');
    assert.ok(result.ms >= 950, `cut off after ${result.ms} ms, before the request timeout`);
  });

  it('closes a keep-alive connection left idle', async () => {
    const socket = await open();
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    const ended = once(socket, 'end');
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await ended;
    assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1.1 200/);
    socket.destroy();
  });

  it('closes a connection whose TLS handshake never starts', async () => {
    const socket = connectTcp(t.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    await once(socket, 'close');
  });
});
