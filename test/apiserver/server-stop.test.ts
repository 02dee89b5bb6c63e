/**
 * `ApiServer.stop()` ends every connection, also one accepted a moment before whose TLS handshake
 * is not done yet (the HTTP layer does not know it, so `closeAllConnections` alone misses it and
 * the server's `close` waits for it: a shoot's "Deleting kube-apiserver deployment" hung while a
 * node agent polled through such a connection).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { ApiServer } from '../../src/apiserver/server.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

describe('ApiServer.stop', () => {
  const storage = openSqliteStore({ path: ':memory:' });
  let server: ApiServer;

  before(async () => {
    const ca = await generateCertificateAuthority('test');
    const serving = await issueCertificate(ca, {
      commonName: 'api',
      ipAddresses: ['127.0.0.1'],
      dnsNames: [],
      usage: 'server',
    });
    server = new ApiServer({
      resources: [],
      storage,
      admission: [],
      authenticator: { authenticate: async () => null },
      authorizer: { authorize: async () => ({ decision: 'deny', reason: '' }) },
      tls: { certPem: serving.certPem, keyPem: serving.keyPem },
      logger: pino({ level: 'silent' }),
    });
  });

  after(async () => {
    await storage.close();
  });

  it('ends a connection whose TLS handshake has not finished', async () => {
    const { port } = await server.start();
    // A TCP connection that never starts its handshake: the server knows it only as a socket.
    const socket: Socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    // Let the server accept it before it stops.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = once(socket, 'close');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      server.stop().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), 5_000);
      }),
    ]);
    clearTimeout(timer);
    socket.destroy();
    assert.equal(stopped, true, 'stop() returned although a connection was still shaking hands');
    await closed;
  });
});
