/**
 * Shared pieces of the backup sidecar tests: etcds with and without TLS, reading snapshot
 * objects back, and the chain check a restore relies on.
 */
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { type DeltaEvent, decodeDeltaSnapshot } from '../../src/backup/snapshot-format.js';
import type { EtcdConnection } from '../../src/backup/snapshotter/etcd-connection.js';
import type { Snapshot, Snapstore } from '../../src/backup/snapstore/snapstore.js';
import { startTestEtcd, type TestEtcd } from './etcd.js';

const gunzipAsync = promisify(gunzip);

export interface BackupTestEtcd {
  etcd: TestEtcd;
  connection: EtcdConnection;
}

/** A test etcd; with `tls`, it requires client certificates and `connection` carries one. */
export async function startBackupTestEtcd(tls: boolean): Promise<BackupTestEtcd> {
  if (!tls) {
    const etcd = await startTestEtcd();
    return { etcd, connection: { endpoint: etcd.endpoints[0] as string } };
  }
  const ca = await generateCertificateAuthority('etcd-ca');
  const server = await issueCertificate(ca, {
    commonName: 'etcd',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const client = await issueCertificate(ca, { commonName: 'backup-sidecar', usage: 'client' });
  const etcd = await startTestEtcd({
    tls: { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem, clientCertAuth: true, client },
  });
  assert.match(etcd.endpoints[0] as string, /^https:/);
  return { etcd, connection: { endpoint: etcd.endpoints[0] as string, tls: { caPem: ca.certPem, ...client } } };
}

/** A stored object's bytes, decompressed. */
export async function readSnapshot(store: Snapstore, snapshot: Snapshot): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.fetch(snapshot)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  return snapshot.compression === 'gzip' ? gunzipAsync(bytes) : bytes;
}

export async function readDeltaEvents(store: Snapstore, snapshot: Snapshot): Promise<DeltaEvent[]> {
  return decodeDeltaSnapshot(await readSnapshot(store, snapshot), snapshot.name);
}

export async function listSnapshots(store: Snapstore): Promise<Snapshot[]> {
  return (await store.list()).map((object) => object.snapshot);
}

/**
 * Checks what a restore needs: each delta starts right after the snapshot before it, ends at or
 * after its start, and a full snapshot never goes back behind what came before.
 */
export function assertChain(snapshots: readonly Snapshot[]): void {
  let previous: Snapshot | undefined;
  for (const snapshot of snapshots) {
    if (snapshot.kind === 'Incr') {
      assert.ok(previous, `delta ${snapshot.name} has no snapshot before it`);
      assert.equal(snapshot.startRevision, previous.lastRevision + 1, `${snapshot.name} follows ${previous.name}`);
    } else {
      assert.equal(snapshot.startRevision, 0, snapshot.name);
      if (previous)
        assert.ok(snapshot.lastRevision >= previous.lastRevision, `${snapshot.name} after ${previous.name}`);
    }
    previous = snapshot;
  }
}

/** `[type, key, value]` of each event, for comparing with what a test wrote. */
export function eventSummary(events: readonly DeltaEvent[]): [string, string, string][] {
  return events.map((event) => [event.type, event.kv.key.toString(), event.kv.value.toString()]);
}
