/**
 * The cuttable TCP proxy in front of a real HTTP server: requests pass while it is up; cutting it
 * breaks a response in flight and makes new connections fail at once; restoring it lets them pass
 * again on the same port; the server itself stays reachable directly all along.
 */
import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** GET with a connection of its own; resolves with the status and body, rejects on a broken connection. */
function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('tcp proxy', () => {
  let server: Server;
  let direct: string;
  let proxy: TcpProxy;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        // A response that never ends on its own: only the proxy's cut can break it.
        res.writeHead(200);
        res.write('first chunk');
        return;
      }
      res.end(`hello from ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    direct = `http://127.0.0.1:${port}`;
    proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: port });
  });

  after(async () => {
    await proxy?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('forwards while up, refuses while cut, forwards again on the same port after restore', async () => {
    assert.deepEqual(await fetchText(`${proxy.url}/a`), { status: 200, body: 'hello from /a' });

    const slow = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${proxy.url}/slow`, { agent: false }, resolve).on('error', reject),
    );
    const broken = new Promise<string>((resolve) => {
      slow.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      slow.on('close', () => resolve('closed'));
    });
    await new Promise((resolve) => slow.once('data', resolve));

    const refusedBefore = proxy.refused;
    proxy.cut();
    assert.equal(proxy.isCut, true);
    assert.match(await broken, /ECONNRESET|aborted|closed/, 'the response in flight is broken');
    assert.equal(slow.complete, false, 'the response did not end cleanly');
    await assert.rejects(fetchText(`${proxy.url}/b`), /ECONNRESET|socket hang up/);
    assert.ok(proxy.refused >= refusedBefore + 2, `the open and the new connection were reset (${proxy.refused})`);
    assert.deepEqual(await fetchText(`${direct}/direct`), { status: 200, body: 'hello from /direct' });

    proxy.restore();
    assert.deepEqual(await fetchText(`${proxy.url}/c`), { status: 200, body: 'hello from /c' });
    assert.ok(proxy.forwarded >= 3);
  });
});
