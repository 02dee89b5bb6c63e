import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { parseClientCertificateSubject } from '../../src/apiserver/pki/certificates.js';
import { x509 } from '../../src/apiserver/pki/x509.js';
import { MalformedSecretError } from '../../src/shoot/malformed-secret-error.js';
import {
  issueAdminClientCertificate,
  issueEtcdClientCertificate,
  issueEtcdServerCertificate,
  issueKubeApiServerCertificate,
} from '../../src/shoot/shoot-certificates.js';
import {
  fromSecretObjects,
  generateShootSecrets,
  mergeShootStateGardenerData,
  type ShootSecrets,
  secretObjectsFromShootState,
  toSecretObjects,
  toShootStateGardenerData,
} from '../../src/shoot/shoot-secrets.js';

const namespace = 'shoot--dev--demo';

function shootState(gardener: unknown[]): KubeObject {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'ShootState',
    metadata: { name: 'demo', namespace: 'garden-dev' },
    spec: { gardener },
  };
}

function withData(objs: KubeObject[], name: string, data: Record<string, string>): KubeObject[] {
  return objs.map((o) => (o.metadata.name === name ? { ...o, data: { ...(o.data as object), ...data } } : o));
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('shoot secrets', () => {
  let secrets: ShootSecrets;
  before(async () => {
    secrets = await generateShootSecrets(namespace);
  });

  it('generates CAs named like Gardener, valid ten years, and fresh keys', () => {
    const names = [secrets.ca, secrets.caClient, secrets.caEtcd].map((ca) => {
      const cert = new X509Certificate(ca.certPem);
      assert.ok(cert.ca);
      const years = (Date.parse(cert.validTo) - Date.now()) / (365 * 24 * 3600 * 1000);
      assert.ok(years > 9.9 && years < 10.1, `validity ${years} years`);
      return parseClientCertificateSubject(ca.certPem).commonName;
    });
    assert.deepEqual(names, ['kubernetes', 'kubernetes-client', 'etcd']);
    assert.equal(Buffer.from(secrets.etcdEncryptionKey, 'base64').length, 32);
    assert.match(secrets.staticToken, /^[0-9a-f]{64}$/);
    assert.match(secrets.serviceAccountKey.privateKeyPem, /BEGIN RSA PRIVATE KEY/);
    assert.match(secrets.serviceAccountKey.publicKeyPem, /BEGIN PUBLIC KEY/);
  });

  it('round-trips through Secrets', () => {
    const objs = toSecretObjects(namespace, secrets);
    assert.deepEqual(
      objs.map((o) => o.metadata.name),
      ['ca', 'ca-client', 'ca-etcd', 'service-account-key', 'kube-apiserver-static-token', 'etcd-encryption-key'],
    );
    for (const obj of objs) {
      assert.equal(obj.apiVersion, 'v1');
      assert.equal(obj.kind, 'Secret');
      assert.equal(obj.type, 'Opaque');
      assert.equal(obj.metadata.namespace, namespace);
      assert.equal(obj.metadata.labels?.persist, 'true');
      assert.equal(obj.metadata.labels?.['managed-by'], 'secrets-manager');
    }
    assert.deepEqual(Object.keys(objs[0]!.data as object).sort(), ['ca.crt', 'ca.key']);
    assert.deepEqual(Object.keys(objs[3]!.data as object).sort(), ['id_rsa', 'id_rsa.pub']);
    assert.deepEqual(fromSecretObjects(objs), secrets);
    // Unrelated secrets in the namespace are ignored; a missing one means "not there yet".
    const extra: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'etcd-server-tls' }, data: {} };
    assert.deepEqual(fromSecretObjects([extra, ...objs]), secrets);
    assert.equal(fromSecretObjects(objs.slice(1)), undefined);
  });

  it('round-trips through the ShootState in Gardener format, ignoring other entries', () => {
    const objs = toSecretObjects(namespace, secrets);
    const data = toShootStateGardenerData(objs);
    assert.equal(data.length, 6);
    const ca = data[0]!;
    assert.equal(ca.name, 'ca');
    assert.equal(ca.type, 'secret');
    assert.deepEqual(ca.labels, objs[0]!.metadata.labels);
    assert.deepEqual(ca.data, { data: objs[0]!.data, immutable: true, type: 'Opaque' });

    // Through JSON (what the garden stores), next to a machine state entry.
    const state = JSON.parse(
      JSON.stringify(shootState([{ name: 'machine-state', type: 'machine-state', data: 'H4sI' }, ...data])),
    ) as KubeObject;
    const restored = secretObjectsFromShootState(state, namespace);
    assert.deepEqual(restored, objs);
    assert.deepEqual(fromSecretObjects(restored), secrets);
  });

  it('reads the older ShootState format (plain data map) and a private-key-only service-account-key', () => {
    const objs = toSecretObjects(namespace, secrets);
    const legacy = objs.map((o) => {
      const data = { ...(o.data as Record<string, string>) };
      delete data['id_rsa.pub'];
      return { name: o.metadata.name!, type: 'secret', data, labels: o.metadata.labels };
    });
    const restored = secretObjectsFromShootState(shootState(legacy), namespace);
    assert.equal(restored[0]!.type, 'Opaque');
    const decoded = fromSecretObjects(restored);
    assert.deepEqual(decoded?.ca, secrets.ca);
    assert.equal(decoded?.serviceAccountKey.publicKeyPem, secrets.serviceAccountKey.publicKeyPem);
  });

  it('only secrets labelled persist=true go into the ShootState', () => {
    const other: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'etcd-client-tls' }, data: {} };
    const data = toShootStateGardenerData([other, ...toSecretObjects(namespace, secrets)]);
    assert.ok(!data.some((d) => d.name === 'etcd-client-tls'));
  });

  it('merges ShootState entries by name', () => {
    const merged = mergeShootStateGardenerData(
      [
        { name: 'machine-state', type: 'machine-state', data: 'x' },
        { name: 'ca', type: 'secret', data: { data: { old: 'x' } } },
      ],
      [
        { name: 'ca', type: 'secret', data: { data: { new: 'y' } } },
        { name: 'ca-client', type: 'secret', data: { data: {} } },
      ],
    );
    assert.deepEqual(
      merged.map((m) => [m.name, m.data]),
      [
        ['machine-state', 'x'],
        ['ca', { data: { new: 'y' } }],
        ['ca-client', { data: {} }],
      ],
    );
  });

  it('rejects malformed secrets clearly, without their content', async () => {
    const objs = toSecretObjects(namespace, secrets);
    const other = await generateShootSecrets(namespace);
    const cases: [KubeObject[], RegExp][] = [
      [withData(objs, 'ca-client', { 'ca.crt': '%%%' }), /"ca-client".*data\[ca\.crt\] is not base64/],
      [withData(objs, 'ca', { 'ca.crt': b64('not a certificate') }), /"ca".*data\[ca\.crt\] is not a PEM certificate/],
      [
        withData(objs, 'ca', { 'ca.key': b64(other.ca.keyPem) }),
        /"ca".*data\[ca\.key\] is not the key of the certificate/,
      ],
      [withData(objs, 'ca-etcd', { 'ca.key': '' }), /"ca-etcd".*data\[ca\.key\] is missing or empty/],
      [
        withData(objs, 'service-account-key', { 'id_rsa.pub': b64(other.serviceAccountKey.publicKeyPem) }),
        /"service-account-key".*data\[id_rsa\.pub\] is not the public key/,
      ],
      [withData(objs, 'etcd-encryption-key', { key: b64('c2hvcnQ=') }), /"etcd-encryption-key".*32-byte key/],
      [withData(objs, 'kube-apiserver-static-token', { token: b64('a b') }), /single-word token/],
    ];
    for (const [bad, message] of cases) {
      assert.throws(
        () => fromSecretObjects(bad),
        (err: unknown) => {
          assert.ok(err instanceof MalformedSecretError, String(err));
          assert.match(err.message, message);
          assert.ok(!err.message.includes('PRIVATE KEY'));
          return true;
        },
      );
    }
    // A leaf certificate is not a CA.
    const leaf = await issueEtcdClientCertificate(secrets.caEtcd);
    assert.throws(
      () => fromSecretObjects(withData(objs, 'ca-etcd', { 'ca.crt': b64(leaf.certPem), 'ca.key': b64(leaf.keyPem) })),
      /"ca-etcd".*not a CA certificate/,
    );
    // A malformed ShootState entry.
    assert.throws(
      () => secretObjectsFromShootState(shootState([{ name: 'ca', type: 'secret', data: 'nope' }]), namespace),
      /"ca".*no data object/,
    );
    assert.throws(
      () =>
        secretObjectsFromShootState(shootState([{ name: 'ca', type: 'secret', data: { data: { k: 1 } } }]), namespace),
      /"ca".*data\.data\[k\] is not a string/,
    );
  });

  it('issues an admin client certificate that chains to ca-client with CN and O', async () => {
    const cert = await issueAdminClientCertificate(secrets.caClient, {
      user: 'alice',
      groups: ['system:masters'],
      validitySeconds: 900,
    });
    const parsed = new x509.X509Certificate(cert.certPem);
    const ca = new x509.X509Certificate(secrets.caClient.certPem);
    assert.ok(await parsed.verify({ publicKey: ca.publicKey, signatureOnly: true }));
    assert.equal(parsed.issuer, ca.subject);
    assert.deepEqual(parsed.subjectName.getField('CN'), ['alice']);
    assert.deepEqual(parsed.subjectName.getField('O'), ['system:masters']);
    const seconds = (parsed.notAfter.getTime() - Date.now()) / 1000;
    assert.ok(seconds > 890 && seconds <= 900, `expires in ${seconds}s`);
    // Not signed by the cluster CA.
    assert.ok(!new X509Certificate(cert.certPem).checkIssued(new X509Certificate(secrets.ca.certPem)));
  });

  it('issues etcd server and client certificates from ca-etcd', async () => {
    const server = new X509Certificate(
      (await issueEtcdServerCertificate(secrets.caEtcd, ['127.0.0.1', 'localhost'])).certPem,
    );
    assert.ok(server.checkIssued(new X509Certificate(secrets.caEtcd.certPem)));
    assert.match(server.subjectAltName ?? '', /DNS:localhost/);
    assert.match(server.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    const client = await issueEtcdClientCertificate(secrets.caEtcd);
    assert.equal(parseClientCertificateSubject(client.certPem).commonName, 'etcd-client');
  });

  it('serves TLS on 127.0.0.1 with the kube-apiserver certificate, trusted through ca', async () => {
    const serving = await issueKubeApiServerCertificate(secrets.ca, { ip: '127.0.0.1', dnsNames: ['api.demo.local'] });
    const san = new X509Certificate(serving.certPem).subjectAltName ?? '';
    for (const name of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'localhost', 'api.demo.local']) {
      assert.ok(san.includes(`DNS:${name}`), `${name} in ${san}`);
    }
    const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const get = (host: string, servername?: string, ca = secrets.ca.certPem) =>
        new Promise<string>((resolve, reject) => {
          const req = https.get(
            { host, port, path: '/', ca, agent: false, ...(servername ? { servername } : {}) },
            (res) => {
              let body = '';
              res.on('data', (d) => {
                body += d;
              });
              res.on('end', () => resolve(body));
            },
          );
          req.on('error', reject);
        });
      assert.equal(await get('127.0.0.1'), 'ok');
      assert.equal(await get('localhost'), 'ok');
      // Another CA is not trusted.
      await assert.rejects(get('127.0.0.1', undefined, secrets.caClient.certPem), /certificate/);
    } finally {
      server.close();
    }
  });
});
