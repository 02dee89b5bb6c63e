/**
 * The listener in front of a highly available shoot's kube-apiserver replicas
 * (src/seed/runtime/endpoint-proxy.ts, apiserver-replicas.ts), with real sockets: round robin,
 * a backend that refuses skipped, backends replaced, connections destroyed; and the replica set
 * taking out a replica whose /readyz fails, restarting one that is gone, while the other serves.
 * The replicas here are small HTTPS servers with a real certificate from a shoot-like CA (the
 * real kube-apiserver behind it is in test/e2e/ha-shoot.test.ts).
 */
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, request } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  type CertificateAndKey,
  generateCertificateAuthority,
  issueCertificate,
} from '../../src/apiserver/pki/certificates.js';
import { ApiServerReplicas } from '../../src/seed/runtime/apiserver-replicas.js';
import { EndpointProxy } from '../../src/seed/runtime/endpoint-proxy.js';
import type { ShootApiServer } from '../../src/shoot/kube-apiserver.js';
import { until } from '../helpers/processes.js';

const HOST = '127.0.0.1';

/** A TCP server that writes `name` to every connection and keeps it open; port 0: a free one. */
async function namedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.write(name));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Connects to `port` and returns what the server wrote first, or `reset`/`closed` when the connection broke without data. */
function firstWords(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once('error', () => resolve('reset'));
    socket.once('close', () => resolve('closed'));
  });
}

describe('EndpointProxy', () => {
  const servers: Server[] = [];
  let proxy: EndpointProxy | undefined;
  after(async () => {
    await proxy?.close();
    for (const s of servers) s.close();
  });

  it('splices round robin, skips a backend that refuses, follows new backends and destroys connections', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    servers.push(a.server, b.server);
    proxy = await EndpointProxy.listen(HOST, 0);
    assert.notEqual(proxy.port, 0);
    assert.equal(await firstWords(proxy.port), 'closed', 'no backend yet: the connection is closed at once');

    proxy.setBackends([
      { host: HOST, port: a.port },
      { host: HOST, port: b.port },
    ]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await firstWords(proxy.port));
    assert.deepEqual(answers.sort(), ['a', 'a', 'b', 'b'], 'round robin over both backends');

    // A backend that is gone: its connections go to the other one.
    const gone = await namedServer('gone');
    await new Promise((resolve) => gone.server.close(resolve));
    proxy.setBackends([
      { host: HOST, port: gone.port },
      { host: HOST, port: b.port },
    ]);
    for (let i = 0; i < 3; i++) assert.equal(await firstWords(proxy.port), 'b');

    // An open connection survives setBackends and ends with destroyConnections.
    const open = connect(proxy.port, HOST);
    await new Promise((resolve) => open.once('data', resolve));
    proxy.setBackends([{ host: HOST, port: a.port }]);
    assert.equal(await firstWords(proxy.port), 'a');
    assert.equal(open.destroyed, false, 'a spliced connection stays when the backends change');
    const closed = new Promise((resolve) => open.once('close', resolve));
    proxy.destroyConnections();
    await closed;

    const port = proxy.port;
    await proxy.close();
    proxy = undefined;
    assert.equal(await firstWords(port), 'reset', 'a closed proxy refuses connections');
  });
});

describe('ApiServerReplicas', () => {
  let ca: CertificateAndKey;
  let serving: CertificateAndKey;
  let set: ApiServerReplicas | undefined;
  /** Per replica index: whether /readyz answers 200. */
  const readyz = new Map<number, boolean>();
  let failed = new Set<number>();
  let starts = 0;

  before(async () => {
    ca = await generateCertificateAuthority('kubernetes', 1);
    serving = await issueCertificate(ca, {
      commonName: 'kube-apiserver',
      ipAddresses: [HOST],
      usage: 'server',
      validityDays: 1,
    });
  });
  after(async () => {
    await set?.stop();
  });

  /** A stand-in replica: HTTPS with the serving certificate, `/readyz` as `readyz` says, `/` names the replica. */
  async function startReplica(index: number, prefix = 'replica'): Promise<ShootApiServer> {
    starts++;
    const server = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      if (req.url === '/readyz') res.writeHead(readyz.get(index) === false ? 500 : 200).end();
      else res.end(`${prefix}-${index}`);
    });
    // As the real server's stop: every TCP connection is destroyed, also one still before its TLS
    // handshake (the test's raw connection never shakes hands; `close` would wait for its timeout).
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const url = `https://${HOST}:${(server.address() as { port: number }).port}`;
    return {
      url,
      server: undefined as never,
      exposed: true,
      expose: async () => {},
      stopListening: () => server.close(),
      holdEtcdReads: async () => () => {},
      stop: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    };
  }

  /** GET / through the set's endpoint (or `url`), a new connection each time. */
  const whoAnswers = (url = set!.url): Promise<string> =>
    new Promise((resolve) => {
      const req = request(`${url}/`, { ca: ca.certPem, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', (err) => resolve(`error: ${err.message}`));
      req.end();
    });
  const answers = async (n: number, url?: string) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(await whoAnswers(url));
    return [...seen].sort();
  };

  it('both replicas serve; one failing /readyz is taken out; one gone is started again while the other serves', async () => {
    set = await ApiServerReplicas.start({
      name: 'shoot--test--ha',
      host: HOST,
      port: 0,
      replicas: 2,
      servingCaPem: ca.certPem,
      start: startReplica,
      logger: pino({ level: 'silent' }),
      intervalMs: 50,
      failed: async () => failed,
    });
    assert.deepEqual(await answers(6), ['replica-0', 'replica-1']);

    readyz.set(1, false);
    await until(async () => set!.proxy.backends.length === 1, 10_000, 'replica 1 taken out');
    assert.deepEqual(await answers(6), ['replica-0'], 'only the ready replica gets connections');
    readyz.set(1, true);
    await until(async () => set!.proxy.backends.length === 2, 10_000, 'replica 1 back');

    const startsBefore = starts;
    failed = new Set([0]);
    await until(async () => set!.replicaUrls[0] === undefined, 10_000, 'replica 0 down');
    assert.deepEqual(await answers(6), ['replica-1'], 'the other replica serves alone');
    failed = new Set();
    await until(
      async () => set!.replicaUrls[0] !== undefined && set!.proxy.backends.length === 2,
      10_000,
      'replica 0 back',
    );
    assert.equal(starts, startsBefore + 1, 'replica 0 was started once again');
    assert.deepEqual(await answers(6), ['replica-0', 'replica-1']);

    const url = set.url;
    await set.stop();
    set = undefined;
    assert.match(
      await new Promise<string>((resolve) => {
        const req = request(`${url}/`, { ca: ca.certPem, agent: false }, () => resolve('answered'));
        req.on('error', (err) => resolve(err.message));
        req.end();
      }),
      /ECONNREFUSED/,
      'a stopped set refuses connections',
    );
  });

  it("a live migration's replicas start unexposed and take the endpoint once the source's proxy lets go", async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, HOST, resolve));
    const port = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const options = {
      name: 'shoot--test--ha',
      host: HOST,
      port,
      replicas: 2,
      servingCaPem: ca.certPem,
      logger: pino({ level: 'silent' }),
    };
    const source = await ApiServerReplicas.start({ ...options, start: (i) => startReplica(i, 'source') });
    const destination = await ApiServerReplicas.start({
      ...options,
      deferListen: true,
      start: (i) => startReplica(i, 'destination'),
    });
    try {
      assert.equal(source.exposed, true);
      assert.equal(destination.exposed, false, 'the destination does not listen yet');
      assert.equal(destination.url, source.url, 'its URL is the endpoint it will bind');
      assert.deepEqual(destination.replicaUrls.filter(Boolean).length, 2, 'its replicas already serve');

      // A client's connection to the source, open across the switch.
      const open = connect(port, HOST);
      await new Promise((resolve) => open.once('connect', resolve));
      const exposing = destination.expose({ retryMs: 5, signal: AbortSignal.timeout(10_000) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(destination.exposed, false, 'the address is in use: the destination keeps trying');
      assert.deepEqual(await answers(4, source.url), ['source-0', 'source-1']);

      source.stopListening();
      await exposing;
      assert.equal(destination.exposed, true);
      assert.deepEqual(await answers(4, destination.url), ['destination-0', 'destination-1']);
      assert.equal(open.destroyed, false, "the source's open connection goes on until it stops");
      const closed = new Promise((resolve) => open.once('close', resolve));
      await source.stop();
      await closed;
      assert.deepEqual(await answers(2, destination.url), ['destination-0', 'destination-1']);
    } finally {
      await source.stop();
      await destination.stop();
    }
  });

  it('an unexposed set whose expose is aborted stops cleanly', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, HOST, resolve));
    const port = (holder.address() as { port: number }).port;
    const unexposed = await ApiServerReplicas.start({
      name: 'shoot--test--ha',
      host: HOST,
      port,
      replicas: 2,
      servingCaPem: ca.certPem,
      logger: pino({ level: 'silent' }),
      deferListen: true,
      start: (i) => startReplica(i, 'unexposed'),
    });
    try {
      await assert.rejects(unexposed.expose({ signal: AbortSignal.timeout(100) }), { code: 'EADDRINUSE' });
      assert.equal(unexposed.exposed, false);
    } finally {
      await unexposed.stop();
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
