/**
 * The CA replicas share through their store: replicas starting at once end with one CA (on
 * SQLite and on a real etcd), a later start adopts it, and a damaged CA Secret is refused rather
 * than replaced.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { issueServingCertificate } from '../../src/apiserver/pki/serving-pki.js';
import { ensureSharedCa } from '../../src/hosting/shared-ca.js';
import { openEtcdStore } from '../../src/storage/etcd/etcd-store.js';
import type { Storage } from '../../src/storage/interface.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { startTestEtcd, type TestEtcd } from '../helpers/etcd.js';

const backends: { name: string; open(): Promise<{ storage: Storage; close(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    async open() {
      const storage = openSqliteStore({ path: ':memory:' });
      return { storage, close: () => storage.close() };
    },
  },
  {
    name: 'etcd',
    async open() {
      const etcd: TestEtcd = await startTestEtcd();
      const storage = await openEtcdStore({ endpoints: etcd.endpoints, prefix: '/garden' });
      return {
        storage,
        async close() {
          await storage.close();
          await etcd.cleanup();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`shared CA (${backend.name})`, () => {
    let opened: { storage: Storage; close(): Promise<void> };
    before(async () => {
      opened = await backend.open();
    });
    after(() => opened.close());

    it('ends with one CA when replicas start at once, and a later replica adopts it', async () => {
      const results = await Promise.all(
        Array.from({ length: 4 }, () => ensureSharedCa(opened.storage, 'race', 'transplant-race-ca')),
      );
      assert.equal(new Set(results.map((r) => r.ca.certPem)).size, 1, 'one CA for all');
      assert.equal(results.filter((r) => r.generated).length, 1, 'exactly one replica generated it');
      const later = await ensureSharedCa(opened.storage, 'race', 'transplant-race-ca');
      assert.equal(later.generated, false);
      assert.equal(later.ca.certPem, results[0]!.ca.certPem);

      // Each replica's own serving certificate verifies against the shared CA.
      const serving = await issueServingCertificate(later.ca, { hosts: ['127.9.9.9'] });
      const caCert = new X509Certificate(later.ca.certPem);
      assert.ok(new X509Certificate(serving.certPem).verify(caCert.publicKey));
    });

    it('refuses to replace a CA Secret without its key', async () => {
      await opened.storage.create('/registry/secrets/kube-system/damaged-ca', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'damaged-ca', namespace: 'kube-system' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64') },
      });
      await assert.rejects(ensureSharedCa(opened.storage, 'damaged', 'x'), /refusing to replace it/);
    });
  });
}
