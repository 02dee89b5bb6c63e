import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DnsUpdateError } from '../../src/dns/dns-update-error.js';
import { queryA, Rfc2136Client } from '../../src/dns/rfc2136-client.js';
import { parseServer } from '../../src/dns/transport.js';
import { readTsig, sign } from '../../src/dns/tsig.js';
import { decodeMessage } from '../../src/dns/wire.js';
import { startKnotServer } from '../../src/landscape/knot-server.js';
import { startTestKnot, type TestKnot } from '../helpers/knot.js';

describe('RFC 2136 updates signed with TSIG, against knotd', () => {
  let t: TestKnot;
  before(async () => {
    t = await startTestKnot();
  });
  after(async () => {
    await t?.cleanup();
  });

  const client = (secret?: string) =>
    new Rfc2136Client({
      server: t.knot.server,
      zone: t.knot.zone,
      key: { ...t.knot.key, ...(secret ? { secret } : {}) },
      timeoutMs: 3_000,
    });

  it('replaces an A RRset with the right key: NOERROR, and the server serves it', async () => {
    await client().replaceA('api.one.dev.landscape.test', ['10.1.0.1', '10.1.0.2'], 60);
    assert.deepEqual((await queryA(t.knot.server, 'api.one.dev.landscape.test')).sort(), ['10.1.0.1', '10.1.0.2']);
    await client().replaceA('api.one.dev.landscape.test', ['10.1.0.3'], 60);
    assert.deepEqual(await queryA(t.knot.server, 'api.one.dev.landscape.test'), ['10.1.0.3']);
  });

  it('sends an update too large for a datagram over TCP', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `10.5.0.${i + 1}`);
    await client().replaceA('api.five.dev.landscape.test', many, 60);
    assert.deepEqual((await queryA(t.knot.server, 'api.five.dev.landscape.test')).length, 40);
  });

  it('a wrong key is refused (NOTAUTH, BADSIG) and changes nothing', async () => {
    await client().replaceA('api.two.dev.landscape.test', ['10.2.0.1'], 60);
    const wrong = Buffer.alloc(32, 7).toString('base64');
    await assert.rejects(
      client(wrong).replaceA('api.two.dev.landscape.test', ['10.2.0.9'], 60),
      (err: unknown) => err instanceof DnsUpdateError && err.rcode === 'NOTAUTH' && err.tsigError === 'BADSIG',
    );
    await assert.rejects(
      new Rfc2136Client({
        server: t.knot.server,
        zone: t.knot.zone,
        key: { ...t.knot.key, name: 'other-key.' },
      }).deleteA('api.two.dev.landscape.test'),
      (err: unknown) => err instanceof DnsUpdateError && err.rcode === 'NOTAUTH' && err.tsigError === 'BADKEY',
    );
    assert.deepEqual(await queryA(t.knot.server, 'api.two.dev.landscape.test'), ['10.2.0.1']);
  });

  it('deletes an A RRset; deleting a missing one is fine', async () => {
    await client().replaceA('api.three.dev.landscape.test', ['10.3.0.1'], 60);
    await client().deleteA('api.three.dev.landscape.test');
    assert.deepEqual(await queryA(t.knot.server, 'api.three.dev.landscape.test'), []);
    await client().deleteA('api.three.dev.landscape.test');
  });

  it("verifies the response's MAC: one answer verifies with the request's MAC, not with another", async () => {
    // The client verified every answer above; here a response is checked against a different request MAC.
    const { verifyResponse } = await import('../../src/dns/tsig.js');
    const { exchange } = await import('../../src/dns/transport.js');
    const { encodeHeader, encodeQuestion, headerFlags, Opcode, RecordType, RecordClass } = await import(
      '../../src/dns/wire.js'
    );
    const message = Buffer.concat([
      encodeHeader({
        id: 4242,
        flags: headerFlags.request(Opcode.UPDATE),
        qdcount: 1,
        ancount: 0,
        nscount: 0,
        arcount: 0,
      }),
      encodeQuestion(t.knot.zone, RecordType.SOA, RecordClass.IN),
    ]);
    const signed = sign(message, t.knot.key);
    const answer = await exchange(t.knot.server, signed.message);
    const parsed = decodeMessage(answer);
    const tsig = readTsig(answer, parsed.additional.at(-1)!);
    verifyResponse(answer, tsig, t.knot.key, signed.mac);
    assert.throws(() => verifyResponse(answer, tsig, t.knot.key, Buffer.alloc(signed.mac.length)), /does not verify/);
    const tampered = Buffer.from(answer);
    tampered[3]! ^= 0x10;
    assert.throws(() => verifyResponse(tampered, tsig, t.knot.key, signed.mac), /does not verify/);
  });

  it('refuses a name outside the zone before sending anything', async () => {
    await assert.rejects(client().replaceA('api.example.com', ['10.0.0.1'], 60), /not in zone landscape\.test\./);
  });

  it('a silent server is a timeout naming it', async () => {
    const silent = new Rfc2136Client({
      server: { host: t.knot.server.host, port: t.knot.server.port + 1 },
      zone: t.knot.zone,
      key: t.knot.key,
      timeoutMs: 300,
    });
    await assert.rejects(silent.deleteA('api.x.landscape.test'), /did not answer within 300 ms|ECONNREFUSED/);
  });

  it('keeps the key in files of mode 0600 and off the command line; a second start adopts the running server', async () => {
    for (const file of ['tsig.json', 'knot.conf']) {
      assert.equal((await stat(join(t.dir, file))).mode & 0o777, 0o600, file);
    }
    const cmdline = await readFile(`/proc/${t.knot.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(t.knot.key.secret));
    const again = await startKnotServer({
      dir: t.dir,
      zone: 'landscape.test',
      address: t.knot.server.host,
      port: t.knot.server.port,
    });
    assert.equal(again.pid, t.knot.pid);
    assert.deepEqual(again.key, t.knot.key);
  });

  it('updates survive a restart of knotd', async () => {
    await client().replaceA('api.four.dev.landscape.test', ['10.4.0.1'], 60);
    await t.knot.stop();
    t.knot = await startKnotServer({
      dir: t.dir,
      zone: 'landscape.test',
      address: t.knot.server.host,
      port: t.knot.server.port,
    });
    assert.deepEqual(await queryA(t.knot.server, 'api.four.dev.landscape.test'), ['10.4.0.1']);
  });

  it('parses Gardener Server values', () => {
    assert.deepEqual(parseServer('10.0.0.53'), { host: '10.0.0.53', port: 53 });
    assert.deepEqual(parseServer('10.0.0.53:5353'), { host: '10.0.0.53', port: 5353 });
    assert.deepEqual(parseServer('[fd00::1]:53'), { host: 'fd00::1', port: 53 });
    assert.throws(() => parseServer('a:b:c'), /not host\[:port\]/);
  });
});
