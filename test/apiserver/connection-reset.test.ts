/**
 * A client of a healthy server never sees a reset. The migration benchmark's fill (parallel
 * 100 KiB ConfigMap creates) saw `read ECONNRESET` now and then: a request arriving while the
 * previous response on its connection was still being written paused Node's HTTP parser, the TLS
 * layer went on feeding it the request's body, the parser failed with HPE_PAUSED and the server
 * destroyed the connection (src/apiserver/parser-feed.ts). The first case forces that moment
 * (the client reads nothing of a large answer before it sends a 100 KiB create on the same
 * connection); the others are the benchmark's load, through our client and a plain keep-alive agent.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request } from 'node:https';
import { after, before, beforeEach, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { pino } from 'pino';
import { configMapResource } from '../../src/api/core/config-map.js';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { ApiServer } from '../../src/apiserver/server.js';
import { RestClient } from '../../src/client/rest-client.js';
import { builtinDefinitions } from '../../src/registry/builtin/index.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

/** Larger than what the loopback socket buffers hold, so that its write stays pending while the client reads nothing. */
const LARGE_ANSWER_BYTES = 32 * 1024 * 1024;
const VALUE = 'x'.repeat(100 * 1024);

describe('connections under 100 KiB writes', () => {
  const storage = openSqliteStore({ path: ':memory:' });
  const large = Buffer.alloc(LARGE_ANSWER_BYTES, 'a');
  let server: ApiServer;
  let port: number;
  let caPem: string;
  const requestErrors: string[] = [];

  before(async () => {
    const ca = await generateCertificateAuthority('reset-test');
    caPem = ca.certPem;
    const serving = await issueCertificate(ca, { commonName: 'api', ipAddresses: ['127.0.0.1'], usage: 'server' });
    server = new ApiServer({
      resources: builtinDefinitions.filter((d) => d.group === '' && d.plural === 'configmaps'),
      storage,
      admission: [],
      authenticator: { authenticate: async () => ({ name: 'writer', groups: ['system:authenticated'] }) },
      authorizer: { authorize: async () => ({ decision: 'allow', reason: '' }) },
      tls: { certPem: serving.certPem, keyPem: serving.keyPem },
      customHandlers: [
        {
          group: 'reset.test',
          version: 'v1',
          resource: 'large',
          handle: async () => ({ code: 200, raw: large, contentType: 'application/octet-stream' }),
        },
      ],
      // What the server logs at error level: a request it failed to serve.
      logger: pino({ level: 'error' }, { write: (line: string) => requestErrors.push(line) }),
    });
    ({ port } = await server.start());
  });

  after(async () => {
    await server.stop();
    await storage.close();
  });

  beforeEach(() => {
    requestErrors.length = 0;
  });

  it('serves a create sent while the previous answer on the connection is still being written', async () => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, checkServerIdentity: () => undefined });
    await once(socket, 'secureConnect');
    const received: Buffer[] = [];
    let size = 0;
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      size += chunk.length;
    });
    socket.pause();
    const closed = once(socket, 'close');
    let error = '';
    socket.on('error', (err) => {
      error = err.message;
    });
    try {
      socket.write('GET /apis/reset.test/v1/large HTTP/1.1\r\nHost: api\r\n\r\n');
      // The server answers into socket buffers the client does not read: its write stays pending.
      await waitUntil(() => socket.readableLength > 0 || socket.bytesRead > 0);
      const body = JSON.stringify({ metadata: { name: 'while-writing' }, data: { v: VALUE } });
      socket.write(
        'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      socket.resume();
      await waitUntil(() => /HTTP\/1.1 201[\s\S]*"while-writing"/.test(tail(received, 200 * 1024)) || socket.destroyed);
      assert.equal(error, '', 'the connection broke');
      assert.ok(!socket.destroyed, 'the server closed the connection before answering the create');
      assert.ok(size > LARGE_ANSWER_BYTES);
    } finally {
      socket.destroy();
      await closed;
    }
    assert.deepEqual(requestErrors, []);
  });

  const writeInParallel = async (label: string, create: (name: string) => Promise<void>) => {
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      for (let i = next++; i < 250; i = next++) {
        const name = `${label}-${i}`;
        await create(name).catch((err: Error) => failures.push(`${name}: ${err.message}`));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(failures, []);
    assert.deepEqual(requestErrors, []);
  };

  it('serves 250 creates of 100 KiB, 8 at a time, through RestClient', async () => {
    const client = new RestClient({ server: `https://127.0.0.1:${port}`, caPem, token: 'writer' });
    try {
      const configMaps = client.resource(configMapResource);
      await writeInParallel('rest', async (name) => {
        await configMaps.create('default', { metadata: { name }, data: { v: VALUE } });
      });
    } finally {
      client.close();
    }
  });

  it('serves 250 creates of 100 KiB, 8 at a time, through a keep-alive https agent', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: caPem });
    try {
      await writeInParallel('agent', (name) => post(agent, port, { metadata: { name }, data: { v: VALUE } }));
    } finally {
      agent.destroy();
    }
  });
});

function post(agent: Agent, port: number, object: unknown): Promise<void> {
  const payload = Buffer.from(JSON.stringify(object));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/namespaces/default/configmaps',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The last `bytes` received, as text. */
function tail(chunks: Buffer[], bytes: number): string {
  const last: Buffer[] = [];
  let size = 0;
  for (let i = chunks.length - 1; i >= 0 && size < bytes; i--) {
    last.unshift(chunks[i]!);
    size += chunks[i]!.length;
  }
  return Buffer.concat(last).toString('latin1');
}

async function waitUntil(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
