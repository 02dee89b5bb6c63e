/**
 * ConnectionDrain on a real HTTP server and a keep-alive client: a drain lets the answer under way
 * arrive whole, announced with `Connection: close`; an idle kept-alive connection carries one more
 * request within the idle grace and is closed after it, or is closed at the grace's end; a
 * long-running answer is not waited for, a slow one only for the grace period.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ConnectionDrain } from '../../src/apiserver/filters/connection-drain.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Fixture {
  server: Server;
  drain: ConnectionDrain;
  port: number;
  agent: Agent;
  /** Server-side sockets, to see which are closed. */
  sockets: Set<Socket>;
}

let fixture: Fixture | undefined;

/** `/slow?ms=N` answers after N ms, `/stream` never ends until the server closes it, others at once. */
async function start(): Promise<Fixture> {
  const drain = new ConnectionDrain();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    drain.track(res);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/stream') {
      drain.longRunning(res);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('open\n');
      return;
    }
    const ms = Number(url.searchParams.get('ms') ?? 0);
    setTimeout(() => res.end('done'), ms);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  fixture = { server, drain, port: (server.address() as AddressInfo).port, agent, sockets };
  return fixture;
}

afterEach(async () => {
  if (!fixture) return;
  fixture.agent.destroy();
  fixture.server.closeAllConnections();
  fixture.server.close();
  fixture = undefined;
});

function options(f: Fixture, graceMs: number, idleGraceMs = 100) {
  return { graceMs, idleGraceMs, closeIdleConnections: () => f.server.closeIdleConnections() };
}

function request(f: Fixture, path: string): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: f.port, path, agent: f.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ res, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The Connection header of a request sent on a fresh agent. */
async function connectionHeaderOnFreshAgent(f: Fixture, agent: Agent): Promise<string | undefined> {
  const { res } = await new Promise<{ res: IncomingMessage }>((resolve, reject) => {
    get({ host: '127.0.0.1', port: f.port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ res }));
    }).on('error', reject);
  });
  return res.headers.connection;
}

describe('ConnectionDrain', () => {
  it('lets the answer under way arrive whole with Connection: close, and waits for it', async () => {
    const f = await start();
    const slow = request(f, '/slow?ms=300');
    await sleep(50);
    const started = Date.now();
    const left = await f.drain.drain(options(f, 5_000));
    const waited = Date.now() - started;
    assert.equal(left, 0);
    assert.ok(waited >= 200, `drain returned after ${waited} ms, before the answer under way`);
    const { res, body } = await slow;
    assert.equal(res.statusCode, 200);
    assert.equal(body, 'done');
    assert.equal(res.headers.connection, 'close');
    await sleep(50);
    assert.equal(f.sockets.size, 0, 'the connection closed after its answer');
  });

  it('makes a request that comes in while draining close its connection after its answer', async () => {
    const f = await start();
    const first = await request(f, '/');
    assert.equal(first.res.headers.connection, 'keep-alive');
    const slow = request(f, '/slow?ms=200');
    await sleep(30);
    const draining = f.drain.drain(options(f, 5_000));
    const late = await request(f, '/'); // a second connection: the first is busy
    assert.equal(late.res.headers.connection, 'close');
    assert.equal((await slow).body, 'done');
    assert.equal(await draining, 0);
  });

  it('gives an idle kept-alive connection one more request within the idle grace, then closes the idle ones', async () => {
    const f = await start();
    await request(f, '/');
    await request(f, '/');
    assert.equal(f.sockets.size, 1, 'one kept-alive connection');
    const draining = f.drain.drain(options(f, 5_000, 300));
    await sleep(50);
    const next = await request(f, '/');
    assert.equal(next.res.statusCode, 200, 'served on the kept connection, not refused');
    assert.equal(next.res.headers.connection, 'close');
    await sleep(20);
    assert.equal(f.sockets.size, 0, 'closed after that answer');
    const idle = new Agent({ keepAlive: true });
    try {
      const other = await connectionHeaderOnFreshAgent(f, idle);
      assert.equal(other, 'close', 'a request while draining is answered with Connection: close');
    } finally {
      idle.destroy();
    }
    assert.equal(await draining, 0);
  });

  it('closes a connection that stays idle at the end of the idle grace', async () => {
    const f = await start();
    await request(f, '/');
    assert.equal(f.sockets.size, 1);
    const started = Date.now();
    assert.equal(await f.drain.drain(options(f, 5_000, 150)), 0);
    assert.ok(Date.now() - started >= 140, 'the idle grace was given');
    await sleep(20);
    assert.equal(f.sockets.size, 0, 'the idle connection is closed');
  });

  it('does not wait for a long-running answer', async () => {
    const f = await start();
    const streamed = new Promise<IncomingMessage>((resolve, reject) => {
      get({ host: '127.0.0.1', port: f.port, path: '/stream', agent: f.agent }, resolve).on('error', reject);
    });
    const res = await streamed;
    assert.equal(res.statusCode, 200);
    const started = Date.now();
    assert.equal(await f.drain.drain(options(f, 5_000)), 0);
    assert.ok(Date.now() - started < 1_000, 'returned without waiting for the stream');
    res.destroy();
  });

  it('gives up after the grace period and says how many answers are still under way', async () => {
    const f = await start();
    const slow = request(f, '/slow?ms=2000').catch(() => undefined);
    await sleep(30);
    const started = Date.now();
    assert.equal(await f.drain.drain(options(f, 200)), 1);
    const waited = Date.now() - started;
    assert.ok(waited >= 190 && waited < 1_500, `waited ${waited} ms`);
    f.server.closeAllConnections();
    await slow;
  });
});
