/**
 * A rotated bearer token: the server refuses the old one, the client reads the new one and sends
 * again. Requests in flight together all carried the old token; each is sent again, also those
 * whose 401 arrives after another request already reloaded the token.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { RestClient } from '../../src/client/rest-client.js';

describe('RestClient with a token that is rotated under it', () => {
  let server: Server;
  let port = 0;
  let caPem = '';
  let valid = 'new';
  const refusedTokens: string[] = [];
  /** Answers held back until every request of a batch has arrived, so their 401s cross. */
  let held: (() => void)[] = [];
  let holdFor = 0;

  before(async () => {
    const ca = await generateCertificateAuthority('token-reload-test');
    caPem = ca.certPem;
    const serving = await issueCertificate(ca, { commonName: 'api', ipAddresses: ['127.0.0.1'], usage: 'server' });
    server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      req.resume();
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const answer = () => {
        const ok = token === valid;
        if (!ok) refusedTokens.push(token);
        res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: ok ? 'Success' : 'Failure',
            code: ok ? 200 : 401,
          }),
        );
      };
      if (holdFor === 0) return answer();
      held.push(answer);
      if (held.length < holdFor) return;
      // The first refusal is answered alone; the others once its retry has reloaded the token.
      const [first, ...rest] = held;
      held = [];
      holdFor = 0;
      first?.();
      setTimeout(() => {
        for (const a of rest) a();
      }, 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends every request refused for the old token again with the new one', async () => {
    let file = 'old';
    const client = new RestClient(
      { server: `https://127.0.0.1:${port}`, caPem, token: 'old' },
      { reloadToken: () => file, maxSockets: 4 },
    );
    try {
      file = 'new';
      holdFor = 4;
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => client.request('GET', '/api')));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
        JSON.stringify(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))),
      );
      assert.deepEqual(refusedTokens, ['old', 'old', 'old', 'old'], 'all four were first sent with the old token');
    } finally {
      client.close();
    }
  });

  it('does not send again when the token did not change', async () => {
    refusedTokens.length = 0;
    valid = 'newer';
    const client = new RestClient(
      { server: `https://127.0.0.1:${port}`, caPem, token: 'new' },
      { reloadToken: () => 'new' },
    );
    try {
      await assert.rejects(client.request('GET', '/api'), (err: { code?: number }) => err.code === 401);
      assert.deepEqual(refusedTokens, ['new'], 'sent once');
    } finally {
      client.close();
    }
  });
});
