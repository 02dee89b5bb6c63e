/**
 * A kept-alive connection that the server closes as idle just as the client sends on it: the
 * request never reached a handler, so a GET is sent again on a fresh connection instead of
 * failing with a reset (Node's `reusedSocket` advice). A write is not repeated.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isStatusError } from '../../src/api/errors.js';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { RestClient } from '../../src/client/rest-client.js';

describe('RestClient on a kept-alive connection the server dropped', () => {
  let server: Server;
  let client: RestClient;
  let handled = 0;
  /** Each connection serves one request; the next one on it finds the connection dropped. */
  const served = new WeakSet<Socket>();

  before(async () => {
    const ca = await generateCertificateAuthority('stale-keep-alive-test');
    const serving = await issueCertificate(ca, { commonName: 'api', ipAddresses: ['127.0.0.1'], usage: 'server' });
    server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      if (served.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      handled++;
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'keep-alive' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 }));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    client = new RestClient({ server: `https://127.0.0.1:${port}`, caPem: ca.certPem, token: 't' }, { maxSockets: 1 });
  });

  after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a GET again on a fresh connection', async () => {
    await client.request('GET', '/api');
    await client.request('GET', '/api');
    assert.equal(handled, 2, 'the second GET was served, on a second connection');
  });

  it('does not repeat a write', async () => {
    handled = 0;
    await client.request('GET', '/api');
    await assert.rejects(
      client.request('POST', '/api/v1/namespaces', { metadata: { name: 'x' } }),
      (err) => isStatusError(err) && err.code === 503 && /ECONNRESET|socket hang up/.test(err.message),
    );
    assert.equal(handled, 1);
  });
});
