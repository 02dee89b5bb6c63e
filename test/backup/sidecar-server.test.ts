/**
 * The sidecar's HTTPS endpoints through real TLS (server certificate and client certificates from
 * one CA), in front of a snapshotter on a real etcd and a local store.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import {
  type CertificateAndKey,
  generateCertificateAuthority,
  issueCertificate,
} from '../../src/apiserver/pki/certificates.js';
import { type SidecarServer, type SnapshotJson, startSidecarServer } from '../../src/backup/sidecar-server.js';
import { connectEtcd, currentRevision } from '../../src/backup/snapshotter/etcd-connection.js';
import { Snapshotter } from '../../src/backup/snapshotter/snapshotter.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { type BackupTestEtcd, startBackupTestEtcd } from '../helpers/backup-fixture.js';
import { eventually } from '../helpers/processes.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let dir: string;
let etcd: BackupTestEtcd;
let client: Etcd3;
let snapshotter: Snapshotter;
let server: SidecarServer;
let ca: CertificateAndKey;
let clientCert: CertificateAndKey;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sidecar-test-'));
  etcd = await startBackupTestEtcd(false);
  client = connectEtcd(etcd.connection);
  const store = new LocalSnapstore({ root: dir, container: 'bucket', prefix: 'etcd-main' });
  snapshotter = new Snapshotter({
    etcd: etcd.connection,
    store,
    logger,
    fullSnapshotSchedule: '0 0 1 1 *',
    deltaSnapshotPeriodMs: 60_000,
    compression: 'gzip',
  });
  await snapshotter.start();
  ca = await generateCertificateAuthority('sidecar-ca');
  const serving = await issueCertificate(ca, { commonName: 'etcd-main', ipAddresses: ['127.0.0.1'], usage: 'server' });
  clientCert = await issueCertificate(ca, { commonName: 'druid', usage: 'client' });
  server = await startSidecarServer({ snapshotter, port: 0, tls: { ...serving, caPem: ca.certPem }, logger });
});

after(async () => {
  await server?.close();
  await snapshotter?.stop();
  client?.close();
  await etcd?.etcd.cleanup();
  await rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: unknown;
}

function get(pathAndQuery: string, identity: CertificateAndKey | null = clientCert): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${pathAndQuery}`,
      { ca: ca.certPem, ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('sidecar HTTPS server', () => {
  it('listens on a random port of 127.0.0.1', () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
  });

  it('reports health', async () => {
    assert.deepEqual(await get('/healthz'), { status: 200, body: { health: true } });
  });

  it('takes a full snapshot on /snapshot/full and answers with etcd-backup-restore field names', async () => {
    await client.put('/registry/a').value('1');
    const { status, body } = await get('/snapshot/full');
    assert.equal(status, 200);
    const snapshot = body as SnapshotJson;
    assert.equal(snapshot.kind, 'Full');
    assert.equal(snapshot.startRevision, 0);
    assert.equal(snapshot.lastRevision, await currentRevision(client));
    assert.equal(snapshot.compressionSuffix, '.gz');
    assert.equal(snapshot.isFinal, false);
    assert.match(snapshot.createdOn, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(
      snapshot.snapName,
      `Full-00000000-${String(snapshot.lastRevision).padStart(8, '0')}-${Date.parse(snapshot.createdOn) / 1000}.gz`,
    );
  });

  it('takes a final snapshot on /snapshot/full?final=true, once', async () => {
    const first = await get('/snapshot/full?final=true');
    assert.equal(first.status, 200);
    const final = first.body as SnapshotJson;
    assert.equal(final.isFinal, true);
    assert.match(final.snapName, /\.gz\.final$/);
    const second = await get('/snapshot/full?final=true');
    assert.equal((second.body as SnapshotJson).snapName, final.snapName);
  });

  it('refuses a bad final value with 400', async () => {
    const { status, body } = await get('/snapshot/full?final=maybe');
    assert.equal(status, 400);
    assert.match((body as { error: string }).error, /final.*maybe/);
  });

  it('takes a delta on /snapshot/delta, null when nothing changed, and lists the latest snapshots', async () => {
    await client.put('/registry/b').value('2');
    const delta = (await get('/snapshot/delta')).body as SnapshotJson;
    assert.equal(delta.kind, 'Incr');
    assert.equal(delta.lastRevision, await currentRevision(client));
    assert.deepEqual(await get('/snapshot/delta'), { status: 200, body: null });
    const latest = (await get('/snapshot/latest')).body as {
      fullSnapshot: SnapshotJson;
      deltaSnapshots: SnapshotJson[];
    };
    assert.equal(latest.fullSnapshot.kind, 'Full');
    assert.equal(latest.fullSnapshot.isFinal, true);
    assert.equal(delta.startRevision, latest.fullSnapshot.lastRevision + 1);
    assert.deepEqual(
      latest.deltaSnapshots.map((s) => s.snapName),
      [delta.snapName],
    );
  });

  it('answers 404 for other paths', async () => {
    assert.equal((await get('/snapshot')).status, 404);
    assert.equal((await get('/metrics/nope')).status, 404);
  });

  it('refuses clients without a certificate from the CA', async () => {
    await assert.rejects(get('/healthz', null));
    const other = await generateCertificateAuthority('other-ca');
    await assert.rejects(get('/healthz', await issueCertificate(other, { commonName: 'x', usage: 'client' })));
  });

  it('answers 500 with the cause when a snapshot fails, and 503 on /healthz until one succeeds', async () => {
    await etcd.etcd.stop();
    try {
      const { status, body } = await get('/snapshot/full');
      assert.equal(status, 500);
      assert.ok((body as { error: string }).error.length > 0);
      assert.deepEqual(await get('/healthz'), { status: 503, body: { health: false } });
    } finally {
      await etcd.etcd.restart();
    }
    // The etcd client reconnects with gRPC's backoff: a request right after the restart may still
    // find no connection (500, the cause named), so the next snapshot is asked for until one succeeds.
    const retried = await eventually(
      async () => {
        const answer = await get('/snapshot/full');
        return answer.status === 200 ? answer : undefined;
      },
      15_000,
      'a full snapshot after etcd restarted',
    );
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.deepEqual(await get('/healthz'), { status: 200, body: { health: true } });
  });
});
