/**
 * The shoot's VPN tunnel on its own: a real vpn-seed-server and vpn client over TLS on loopback.
 * Only nodes with certificates from the shoot's client CA get a tunnel, and a refused client
 * hears why; requests and answers cross it; a node that does not answer in time, a tunnel that
 * breaks the protocol, and a newer tunnel of the same node are handled; the egress policy keeps
 * the client from a denied seed and cuts an open tunnel when the seed becomes denied.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import {
  type CertificateAuthority,
  generateCertificateAuthority,
  issueCertificate,
} from '../../src/apiserver/pki/certificates.js';
import { EgressPolicy } from '../../src/shoot/egress-policy.js';
import { servingSeedDnsName } from '../../src/shoot/serving-seed.js';
import { decodeFrame, TUNNEL_SUBPROTOCOL } from '../../src/shoot/vpn/tunnel-protocol.js';
import { startVpnClient, type VpnClient } from '../../src/shoot/vpn/vpn-client.js';
import { NodeUnreachableError, startVpnSeedServer, type VpnSeedServer } from '../../src/shoot/vpn/vpn-seed-server.js';
import { eventually } from '../helpers/processes.js';

const SEED = 'seed-vpn-test';
const logger = pino({ level: 'silent' });

describe('VPN tunnel', () => {
  let ca: CertificateAuthority;
  let caClient: CertificateAuthority;
  let server: VpnSeedServer;
  let dir: string;
  const clients: VpnClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-vpn-'));
    [ca, caClient] = await Promise.all([
      generateCertificateAuthority('kubernetes'),
      generateCertificateAuthority('kubernetes-client'),
    ]);
    const host = `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    server = await startVpnSeedServer({
      name: 'shoot--dev--vpn',
      host,
      port: 0,
      serving: await issueCertificate(ca, {
        commonName: 'vpn-seed-server',
        ipAddresses: [host],
        dnsNames: [servingSeedDnsName(SEED)],
        usage: 'server',
      }),
      clientCaPem: caClient.certPem,
      logger,
      requestTimeoutMs: 500,
      keepAliveMs: 200,
    });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function credentials(user: string, groups: string[], signer = caClient) {
    const pair = await issueCertificate(signer, { commonName: user, organizations: groups, usage: 'client' });
    return { server: server.url, caPem: ca.certPem, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem };
  }

  async function connect(
    node: string,
    options: { groups?: string[]; signer?: CertificateAuthority; egress?: EgressPolicy; answer?: 'ok' | 'never' } = {},
  ): Promise<VpnClient> {
    const client = startVpnClient({
      url: server.url,
      credentials: await credentials(`system:node:${node}`, options.groups ?? ['system:nodes'], options.signer),
      ...(options.egress ? { egress: options.egress } : {}),
      serve: (req) =>
        options.answer === 'never'
          ? new Promise(() => {})
          : Promise.resolve({
              status: 200,
              headers: { 'content-type': 'text/plain' },
              body: Buffer.from(`${node} ${req.method} ${req.path} ${req.body?.toString() ?? ''}`),
            }),
      logger,
      reconnectMs: 100,
    });
    clients.push(client);
    return client;
  }

  it('carries the API server’s requests to the node and its answers back', async () => {
    const client = await connect('node-a');
    await eventually(async () => (client.connected() ? true : undefined), 5_000, 'the tunnel opens');
    assert.equal(client.connectedSeed(), SEED, 'the client knows which seed holds its tunnel');
    assert.ok(server.connectedNodes().includes('node-a'));
    const answer = await server.request('node-a', { method: 'POST', path: '/echo?x=1', body: Buffer.from('hello') });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), 'node-a POST /echo?x=1 hello');
    await assert.rejects(server.request('node-z', { method: 'GET', path: '/healthz' }), (err: Error) => {
      assert.ok(err instanceof NodeUnreachableError);
      assert.match(err.message, /node node-z has no tunnel to the vpn-seed-server of shoot--dev--vpn/);
      return true;
    });
  });

  it('refuses certificates that are not a node’s from the shoot’s client CA, saying why', async () => {
    const cases = [
      {
        node: 'user',
        groups: ['system:masters'],
        why: /HTTP 401 only nodes .* this certificate is for system:node:user/,
      },
      {
        node: 'foreign',
        signer: 'other' as const,
        why: /HTTP 401 a client certificate signed by the shoot's client CA/,
      },
    ];
    const other = await generateCertificateAuthority('someone-else');
    for (const c of cases) {
      const client = await connect(c.node, {
        ...(c.groups ? { groups: c.groups } : {}),
        ...(c.signer ? { signer: other } : {}),
      });
      await eventually(async () => (c.why.test(client.lastError() ?? '') ? true : undefined), 5_000, c.node);
      assert.equal(client.connected(), false);
      assert.ok(!server.connectedNodes().includes(c.node));
      await client.stop();
    }
  });

  it('refuses an upgrade without the tunnel subprotocol', async () => {
    const creds = await credentials('system:node:raw', ['system:nodes']);
    const ws = new WebSocket(server.url, 'something-else', {
      ca: creds.caPem,
      cert: creds.clientCertPem,
      key: creds.clientKeyPem,
    });
    ws.on('error', () => undefined); // the refusal, below
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    ws.terminate();
    assert.equal(status, 400);
  });

  it('a node that does not answer in time is unreachable, and the tunnel stays', async () => {
    const client = await connect('node-slow', { answer: 'never' });
    await eventually(async () => (client.connected() ? true : undefined), 5_000, 'the tunnel opens');
    await assert.rejects(
      server.request('node-slow', { method: 'GET', path: '/healthz' }),
      /did not answer within 500 ms/,
    );
    assert.ok(server.connectedNodes().includes('node-slow'));
  });

  it('closes a tunnel whose node breaks the protocol', async () => {
    const creds = await credentials('system:node:garbler', ['system:nodes']);
    const ws = new WebSocket(server.url, TUNNEL_SUBPROTOCOL, {
      ca: creds.caPem,
      cert: creds.clientCertPem,
      key: creds.clientKeyPem,
    });
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('{"type":"response","id":"x"}');
    assert.equal(await closed, 1008);
    await eventually(
      async () => (!server.connectedNodes().includes('garbler') ? true : undefined),
      5_000,
      'the server forgets the tunnel',
    );
  });

  it('a newer tunnel of the same node replaces the older one', async () => {
    const first = await connect('node-twice');
    await eventually(async () => (first.connected() ? true : undefined), 5_000, 'the first tunnel opens');
    const creds = await credentials('system:node:node-twice', ['system:nodes']);
    const second = new WebSocket(server.url, TUNNEL_SUBPROTOCOL, {
      ca: creds.caPem,
      cert: creds.clientCertPem,
      key: creds.clientKeyPem,
    });
    second.on('message', (data) => {
      const frame = decodeFrame(data.toString());
      second.send(
        JSON.stringify({
          type: 'response',
          id: frame.id,
          status: 200,
          headers: {},
          body: Buffer.from('second').toString('base64'),
        }),
      );
    });
    await new Promise((resolve) => second.on('open', resolve));
    const answer = await eventually(
      async () => {
        const res = await server.request('node-twice', { method: 'GET', path: '/' }).catch(() => undefined);
        return res?.body.toString() === 'second' ? res : undefined;
      },
      5_000,
      'the newer tunnel answers',
    );
    assert.equal(answer.status, 200);
    second.terminate();
  });

  it('the egress policy keeps the node from a denied seed and cuts an open tunnel', async () => {
    const denyFile = join(dir, 'egress-deny');
    await writeFile(denyFile, `${SEED}\n`);
    const client = await connect('node-fw', { egress: new EgressPolicy(denyFile) });
    await eventually(
      async () => (/egress to seed seed-vpn-test is denied/.test(client.lastError() ?? '') ? true : undefined),
      5_000,
      'the handshake is refused',
    );
    assert.ok(!server.connectedNodes().includes('node-fw'));
    await writeFile(denyFile, '# open\n');
    await eventually(async () => (client.connected() ? true : undefined), 5_000, 'the tunnel opens once allowed');
    await writeFile(denyFile, `${SEED}\n`);
    await eventually(
      async () => (!server.connectedNodes().includes('node-fw') ? true : undefined),
      5_000,
      'the open tunnel is cut',
    );
    assert.equal(client.connected(), false);
  });
});
