import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { buildKubeconfig, writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import {
  type CertificateAndKey,
  type CertificateAuthority,
  certificateFingerprint,
  generateCertificateAuthority,
  issueCertificate,
  parseClientCertificateSubject,
} from '../../src/apiserver/pki/certificates.js';
import { ensureServingPki, servingPkiFiles } from '../../src/apiserver/pki/serving-pki.js';

const run = promisify(execFile);
const kubectl = '/usr/bin/kubectl';

/** Starts an HTTPS server answering every request with `{"ok": true, "user": <client cert CN>}`. */
async function startHttps(options: https.ServerOptions): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer(options, (req, res) => {
    const socket = req.socket as tls.TLSSocket;
    const cn = socket.authorized ? socket.getPeerCertificate().subject?.CN : undefined;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, user: cn ?? null, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, options: https.RequestOptions, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path: '/', agent: false, ...options }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

/** A raw TLS handshake; resolves with what the server saw of the client certificate. */
async function handshake(
  serverOptions: tls.TlsOptions,
  clientOptions: tls.ConnectionOptions,
): Promise<{ authorized: boolean; error: string | undefined; subject: Record<string, string | string[]> | undefined }> {
  let seen: { authorized: boolean; error: string | undefined; subject: Record<string, string | string[]> | undefined } =
    {
      authorized: false,
      error: 'no connection',
      subject: undefined,
    };
  const server = tls.createServer(serverOptions, (socket) => {
    const peer = socket.getPeerCertificate();
    seen = {
      authorized: socket.authorized,
      error: socket.authorizationError?.toString(),
      subject:
        peer && Object.keys(peer).length > 0
          ? (peer.subject as unknown as Record<string, string | string[]>)
          : undefined,
    };
    socket.end('bye');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...clientOptions }, () => {
        socket.on('data', () => {});
        socket.on('end', resolve);
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
  return seen;
}

describe('pki: certificate authority and issued certificates', () => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let serving: CertificateAndKey;

  before(async () => {
    ca = await generateCertificateAuthority('test-ca', 30);
    otherCa = await generateCertificateAuthority('other-ca', 30);
    serving = await issueCertificate(ca, {
      commonName: 'apiserver',
      dnsNames: ['localhost', 'api.example.test'],
      ipAddresses: ['127.0.0.1', '::1'],
      usage: 'server',
      validityDays: 10,
    });
  });

  it('generates a CA with CA:true, key identifiers, a positive serial and a PKCS#8 key', () => {
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.subject, 'CN=test-ca');
    assert.ok(cert.checkIssued(cert));
    assert.ok(cert.verify(cert.publicKey));
    assert.ok(/^[0-7]/.test(cert.serialNumber), `serial ${cert.serialNumber} must be positive`);
    assert.ok(cert.serialNumber.length >= 30);
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const text = cert.toLegacyObject() as unknown as { ext_key_usage?: string[] };
    assert.equal(text.ext_key_usage, undefined);
    const validity = Date.parse(cert.validTo) - Date.now();
    assert.ok(validity > 29 * 86400_000 && validity <= 30 * 86400_000);
  });

  it('issues a server certificate with SANs, chained to the CA by name and key identifier', () => {
    const cert = new X509Certificate(serving.certPem);
    const caCert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(caCert));
    assert.ok(cert.verify(caCert.publicKey));
    assert.equal(
      cert.subjectAltName,
      'DNS:localhost, DNS:api.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(cert.checkPrivateKey(createPrivateKey(serving.keyPem)));
    assert.notEqual(cert.serialNumber, caCert.serialNumber);
  });

  it('an https client that trusts the CA connects to the serving certificate, by IP and by name', async () => {
    const { server, port } = await startHttps({ cert: serving.certPem, key: serving.keyPem });
    try {
      assert.equal(JSON.parse(await get(port, { ca: ca.certPem })).ok, true);
      assert.equal(JSON.parse(await get(port, { ca: ca.certPem, servername: 'api.example.test' })).ok, true);
      await assert.rejects(get(port, { ca: otherCa.certPem }), /unable to verify|self.signed|certificate/i);
      await assert.rejects(get(port, { ca: ca.certPem, servername: 'elsewhere.test' }), /altnames|Hostname/i);
    } finally {
      server.close();
    }
  });

  it('a client certificate from the client CA is verified by a server with requestCert', async () => {
    const clientCa = otherCa;
    const client = await issueCertificate(clientCa, {
      commonName: 'jane',
      organizations: ['devs', 'system:masters'],
      usage: 'client',
      validitySeconds: 600,
    });
    const serverOptions = {
      cert: serving.certPem,
      key: serving.keyPem,
      requestCert: true,
      rejectUnauthorized: false,
      ca: clientCa.certPem,
    };
    const good = await handshake(serverOptions, { ca: ca.certPem, cert: client.certPem, key: client.keyPem });
    assert.equal(good.authorized, true, good.error);
    assert.equal(good.subject?.CN, 'jane');
    assert.deepEqual(good.subject?.O, ['devs', 'system:masters']);
    assert.deepEqual(parseClientCertificateSubject(client.certPem), {
      commonName: 'jane',
      organizations: ['devs', 'system:masters'],
    });

    // Signed by the serving CA, which the server does not trust for clients.
    const foreign = await issueCertificate(ca, { commonName: 'mallory', usage: 'client', validityDays: 1 });
    const bad = await handshake(serverOptions, { ca: ca.certPem, cert: foreign.certPem, key: foreign.keyPem });
    assert.equal(bad.authorized, false);
    assert.match(bad.error ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/);

    // A server-only certificate is not accepted as a client certificate (extended key usage).
    const serverOnly = await issueCertificate(clientCa, {
      commonName: 'svc',
      dnsNames: ['svc'],
      usage: 'server',
      validityDays: 1,
    });
    const wrongUsage = await handshake(serverOptions, {
      ca: ca.certPem,
      cert: serverOnly.certPem,
      key: serverOnly.keyPem,
    });
    assert.equal(wrongUsage.authorized, false);
    assert.match(wrongUsage.error ?? '', /purpose/i);

    // usage 'both' works either way.
    const both = await issueCertificate(clientCa, {
      commonName: 'node',
      dnsNames: ['node'],
      usage: 'both',
      validityDays: 1,
    });
    assert.equal(
      (await handshake(serverOptions, { ca: ca.certPem, cert: both.certPem, key: both.keyPem })).authorized,
      true,
    );
  });

  it('rejects requests that cannot make a usable certificate', async () => {
    await assert.rejects(issueCertificate(ca, { commonName: 'x', usage: 'server', validityDays: 1 }), /DNS name or IP/);
    await assert.rejects(
      issueCertificate(ca, { commonName: 'x', ipAddresses: ['not-an-ip'], usage: 'server', validityDays: 1 }),
      /not an IP/,
    );
    await assert.rejects(issueCertificate(ca, { commonName: '', usage: 'client', validityDays: 1 }), /common name/);
    await assert.rejects(
      issueCertificate(ca, { commonName: 'x', dnsNames: ['localhost:6443'], usage: 'server', validityDays: 1 }),
      /not a DNS name/,
    );
  });
});

describe('pki: ensureServingPki', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-pki-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates the CA and serving certificate once, with private keys mode 0600', async () => {
    const first = await ensureServingPki(dir, { hosts: ['api.example.test', '10.0.0.7'] });
    assert.deepEqual(first.generated, { ca: true, serving: true });
    const files = servingPkiFiles(dir);
    assert.deepEqual(first.files, files);
    assert.equal((await stat(files.caKey)).mode & 0o777, 0o600);
    assert.equal((await stat(files.servingKey)).mode & 0o777, 0o600);
    assert.equal(await readFile(files.caCert, 'utf8'), first.ca.certPem);
    const cert = new X509Certificate(first.serving.certPem);
    assert.ok(cert.checkIssued(new X509Certificate(first.ca.certPem)));
    for (const name of ['127.0.0.1', '10.0.0.7']) assert.equal(cert.checkIP(name), name);
    for (const name of ['localhost', 'api.example.test']) assert.equal(cert.checkHost(name), name);
    assert.equal(cert.checkIP('::1'), '::1');
  });

  it('keeps CA and serving certificate on the next start', async () => {
    const before = await certificateFingerprint(await readFile(servingPkiFiles(dir).caCert, 'utf8'));
    const again = await ensureServingPki(dir, { hosts: ['10.0.0.7', 'API.example.test', 'localhost'] });
    assert.deepEqual(again.generated, { ca: false, serving: false });
    assert.equal(await certificateFingerprint(again.ca.certPem), before);
  });

  it('reissues only the serving certificate when the hosts change', async () => {
    const old = await ensureServingPki(dir, { hosts: ['api.example.test', '10.0.0.7'] });
    const changed = await ensureServingPki(dir, { hosts: ['api.example.test', '10.0.0.7', 'new.example.test'] });
    assert.deepEqual(changed.generated, { ca: false, serving: true });
    assert.equal(await certificateFingerprint(changed.ca.certPem), await certificateFingerprint(old.ca.certPem));
    assert.equal(changed.ca.keyPem, old.ca.keyPem);
    assert.equal(new X509Certificate(changed.serving.certPem).checkHost('new.example.test'), 'new.example.test');
    assert.equal(await readFile(changed.files.servingCert, 'utf8'), changed.serving.certPem);
  });

  it('reissues a serving certificate that expires within 30 days, or whose key does not match', async () => {
    const current = await ensureServingPki(dir, { hosts: ['new.example.test'] });
    const files = current.files;
    const shortLived = await issueCertificate(current.ca, {
      commonName: 'transplant-apiserver',
      dnsNames: ['localhost', 'new.example.test'],
      ipAddresses: ['127.0.0.1', '::1'],
      usage: 'server',
      validityDays: 20,
    });
    await writeFile(files.servingCert, shortLived.certPem);
    await writeFile(files.servingKey, shortLived.keyPem);
    const renewed = await ensureServingPki(dir, { hosts: ['new.example.test'] });
    assert.equal(renewed.generated.serving, true);
    assert.ok(Date.parse(new X509Certificate(renewed.serving.certPem).validTo) - Date.now() > 300 * 86400_000);

    // As after a crash between writing the new key and the new certificate.
    await writeFile(files.servingKey, shortLived.keyPem);
    const repaired = await ensureServingPki(dir, { hosts: ['new.example.test'] });
    assert.equal(repaired.generated.serving, true);
    const cert = new X509Certificate(repaired.serving.certPem);
    assert.ok(cert.checkPrivateKey(createPrivateKey(repaired.serving.keyPem)));
  });

  it('never replaces an existing CA: a missing or foreign CA key is an error', async () => {
    const files = servingPkiFiles(dir);
    const caKey = await readFile(files.caKey, 'utf8');
    const foreign = await generateCertificateAuthority('foreign', 1);
    await writeFile(files.caKey, foreign.keyPem);
    await assert.rejects(ensureServingPki(dir, { hosts: [] }), /does not belong/);
    await rm(files.caKey);
    await assert.rejects(ensureServingPki(dir, { hosts: [] }), /ca\.key is missing/);
    await writeFile(files.caKey, caKey, { mode: 0o600 });
    assert.equal((await ensureServingPki(dir, { hosts: ['new.example.test'] })).generated.ca, false);
  });
});

describe('kubeconfig', () => {
  let dir: string;
  let pki: Awaited<ReturnType<typeof ensureServingPki>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-kubeconfig-'));
    pki = await ensureServingPki(join(dir, 'pki'), { hosts: [] });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds a token kubeconfig with the CA inline and writes it 0600', async () => {
    const text = buildKubeconfig({
      clusterName: 'garden',
      server: 'https://127.0.0.1:6443',
      caPem: pki.ca.certPem,
      user: { name: 'admin', token: 'secret-token' },
      namespace: 'garden-dev',
    });
    const config = parse(text);
    assert.equal(config.kind, 'Config');
    assert.equal(config['current-context'], 'garden');
    assert.deepEqual(config.contexts, [
      { name: 'garden', context: { cluster: 'garden', user: 'admin', namespace: 'garden-dev' } },
    ]);
    assert.equal(config.clusters[0].cluster.server, 'https://127.0.0.1:6443');
    assert.equal(
      Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
      pki.ca.certPem,
    );
    assert.deepEqual(config.users, [{ name: 'admin', user: { token: 'secret-token' } }]);
    const path = join(dir, 'kubeconfig');
    await writeKubeconfig(path, text);
    assert.equal(await readFile(path, 'utf8'), text);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('kubectl trusts the serving certificate and presents token or client certificate', async () => {
    const clientCa = await generateCertificateAuthority('client-ca', 1);
    const { server, port } = await startHttps({
      cert: pki.serving.certPem,
      key: pki.serving.keyPem,
      requestCert: true,
      rejectUnauthorized: false,
      ca: clientCa.certPem,
    });
    const kubectlGet = async (
      name: string,
      user: Parameters<typeof buildKubeconfig>[0]['user'],
      caPem = pki.ca.certPem,
    ) => {
      const path = join(dir, name);
      await writeKubeconfig(
        path,
        buildKubeconfig({ clusterName: 't', server: `https://127.0.0.1:${port}`, caPem, user }),
      );
      const { stdout } = await run(kubectl, [
        '--kubeconfig',
        path,
        '--cache-dir',
        join(dir, 'cache'),
        'get',
        '--raw',
        '/x',
      ]);
      return JSON.parse(stdout);
    };
    try {
      assert.deepEqual(await kubectlGet('token', { name: 'a', token: 'tok' }), {
        ok: true,
        user: null,
        authorization: 'Bearer tok',
      });
      const client = await issueCertificate(clientCa, {
        commonName: 'jane',
        organizations: ['devs'],
        usage: 'client',
        validityDays: 1,
      });
      assert.deepEqual(
        await kubectlGet('cert', { name: 'jane', clientCertPem: client.certPem, clientKeyPem: client.keyPem }),
        {
          ok: true,
          user: 'jane',
          authorization: null,
        },
      );
      await assert.rejects(kubectlGet('wrong-ca', { name: 'a', token: 'tok' }, clientCa.certPem), /x509|certificate/);
    } finally {
      server.close();
    }
  });
});
