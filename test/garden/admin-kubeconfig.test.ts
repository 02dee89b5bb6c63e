import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { nowTimestamp } from '../../src/api/meta.js';
import { x509 } from '../../src/apiserver/pki/x509.js';
import type { RequestContext } from '../../src/apiserver/registry/generic-store.js';
import { issueKubeApiServerCertificate } from '../../src/shoot/shoot-certificates.js';
import {
  generateShootSecrets,
  type ShootSecrets,
  toSecretObjects,
  toShootStateGardenerData,
} from '../../src/shoot/shoot-secrets.js';
import { type Json, rawRequest } from '../helpers/api-client.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';

const ns = 'garden-dev';
const path = (shoot: string) => `/apis/core.gardener.cloud/v1beta1/namespaces/${ns}/shoots/${shoot}/adminkubeconfig`;
const request = (spec: object = {}) => ({
  apiVersion: 'authentication.gardener.cloud/v1alpha1',
  kind: 'AdminKubeconfigRequest',
  spec,
});

interface DecodedKubeconfig {
  clusterName: string;
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  yaml: string;
}

function decode(body: Json): DecodedKubeconfig {
  const yaml = Buffer.from(body.status.kubeconfig, 'base64').toString('utf8');
  const config = parseYaml(yaml);
  const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  assert.equal(config.contexts.length, 1);
  assert.equal(config['current-context'], config.contexts[0].name);
  return {
    clusterName: config.clusters[0].name,
    server: config.clusters[0].cluster.server,
    caPem: unb64(config.clusters[0].cluster['certificate-authority-data']),
    certPem: unb64(config.users[0].user['client-certificate-data']),
    keyPem: unb64(config.users[0].user['client-key-data']),
    yaml,
  };
}

/** Asserts the client certificate chains to ca-client, names `user` in system:masters, and expires as requested. */
async function checkClientCertificate(
  kubeconfig: DecodedKubeconfig,
  body: Json,
  secrets: ShootSecrets,
  user: string,
  expirationSeconds: number,
): Promise<void> {
  const cert = new x509.X509Certificate(kubeconfig.certPem);
  const caClient = new x509.X509Certificate(secrets.caClient.certPem);
  assert.ok(await cert.verify({ publicKey: caClient.publicKey, signatureOnly: true }), 'signed by ca-client');
  assert.equal(cert.issuer, caClient.subject);
  assert.ok(
    !(await cert.verify({ publicKey: new x509.X509Certificate(secrets.ca.certPem).publicKey, signatureOnly: true })),
  );
  assert.deepEqual(cert.subjectName.getField('CN'), [user]);
  assert.deepEqual(cert.subjectName.getField('O'), ['system:masters']);
  const seconds = (cert.notAfter.getTime() - Date.now()) / 1000;
  assert.ok(seconds > expirationSeconds - 30 && seconds <= expirationSeconds, `expires in ${seconds}s`);
  assert.equal(body.spec.expirationSeconds, expirationSeconds);
  assert.equal(body.status.expirationTimestamp, nowTimestamp(cert.notAfter));
  assert.equal(kubeconfig.caPem, secrets.ca.certPem);
}

describe('shoots/adminkubeconfig', () => {
  let t: TestGarden;
  let ctx: RequestContext;
  let secrets: ShootSecrets;
  /** Stands in for the shoot's kube-apiserver: TLS from `ca`, client certificates from `ca-client`. */
  let shootApi: https.Server;
  let shootUrl: string;

  before(async () => {
    t = await startTestGarden();
    ctx = t.garden.hosted.systemContext;
    secrets = await generateShootSecrets('shoot--dev--demo');

    const serving = await issueKubeApiServerCertificate(secrets.ca, { ip: '127.0.0.1' });
    shootApi = https.createServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        ca: secrets.caClient.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const subject = (req.socket as TLSSocket).getPeerCertificate().subject;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ user: subject.CN, groups: subject.O }));
      },
    );
    await new Promise<void>((resolve) => shootApi.listen(0, '127.0.0.1', resolve));
    shootUrl = `https://127.0.0.1:${(shootApi.address() as AddressInfo).port}`;

    const shoots = t.garden.server.store('core.gardener.cloud', 'shoots');
    const states = t.garden.server.store('core.gardener.cloud', 'shootstates');
    const spec = { cloudProfileName: 'local', region: 'local', provider: { type: 'local' } };
    for (const name of ['demo', 'bare', 'unaddressed']) {
      await shoots.create(ns, { metadata: { name }, spec }, ctx);
      // The garden creates an empty ShootState with the shoot; the gardenlet fills it.
      await states.createIfAbsent(ns, { metadata: { name }, spec: {} }, ctx);
    }
    const gardener = toShootStateGardenerData(toSecretObjects('shoot--dev--demo', secrets));
    for (const name of ['demo', 'unaddressed']) {
      await states.patch(ns, name, '', 'merge', { spec: { gardener } }, ctx);
    }
    for (const name of ['demo', 'bare']) {
      await shoots.patch(
        ns,
        name,
        'status',
        'merge',
        { status: { advertisedAddresses: [{ name: 'external', url: shootUrl }] } },
        ctx,
      );
    }
  });

  after(async () => {
    shootApi?.close();
    await t?.cleanup();
  });

  it('gives the operator a kubeconfig with a client certificate from ca-client (default 1 h)', async () => {
    const res = await rawRequest(t.kubeconfig, 'POST', path('demo'), request());
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.kind, 'AdminKubeconfigRequest');
    assert.equal(res.json.apiVersion, 'authentication.gardener.cloud/v1alpha1');
    const kubeconfig = decode(res.json);
    assert.equal(kubeconfig.clusterName, 'garden-dev--demo-external');
    assert.equal(kubeconfig.server, shootUrl);
    await checkClientCertificate(kubeconfig, res.json, secrets, 'operator', 3600);

    // The kubeconfig works against the shoot's API, with kubectl too.
    const file = join(t.dir, 'demo-operator.kubeconfig');
    await writeFile(file, kubeconfig.yaml, { mode: 0o600 });
    const out = await kubectl(file, ['get', '--raw', '/']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { user: 'operator', groups: 'system:masters' });
  });

  it('gives a project member one, with the requested expiration', async () => {
    const res = await rawRequest(t.memberKubeconfig, 'POST', path('demo'), request({ expirationSeconds: 600 }));
    assert.equal(res.status, 201, res.text);
    await checkClientCertificate(decode(res.json), res.json, secrets, 'dev-member', 600);
  });

  it('lowers an expiration beyond the maximum to 24 h, as Gardener does', async () => {
    const res = await rawRequest(t.kubeconfig, 'POST', path('demo'), request({ expirationSeconds: 7 * 86400 }));
    assert.equal(res.status, 201, res.text);
    await checkClientCertificate(decode(res.json), res.json, secrets, 'operator', 86400);
  });

  it('rejects an out-of-range expiration as Invalid on spec.expirationSeconds', async () => {
    for (const [seconds, message] of [
      [599, /may not specify a duration less than 10 minutes/],
      [0, /less than 10 minutes/],
      [2 ** 33, /larger than 2\^32 seconds/],
    ] as const) {
      const res = await rawRequest(t.kubeconfig, 'POST', path('demo'), request({ expirationSeconds: seconds }));
      assert.equal(res.status, 422, res.text);
      assert.equal(res.json.reason, 'Invalid');
      assert.equal(res.json.details.causes[0].field, 'spec.expirationSeconds');
      assert.match(res.json.message, message);
    }
  });

  it('rejects a malformed request or another kind with 400', async () => {
    const bodies: unknown[] = [
      '{not json',
      '[]',
      { apiVersion: 'v1', kind: 'ConfigMap' },
      request({ expirationSeconds: '1h' }),
      { ...request(), spec: 'soon' },
    ];
    for (const body of bodies) {
      const res = await rawRequest(t.kubeconfig, 'POST', path('demo'), body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json.reason, 'BadRequest');
    }
    // apiVersion and kind may be left out, as the decoder defaults them.
    const res = await rawRequest(t.kubeconfig, 'POST', path('demo'), { spec: {} });
    assert.equal(res.status, 201, res.text);
  });

  it('answers Conflict while the control plane is not ready', async () => {
    const noCa = await rawRequest(t.kubeconfig, 'POST', path('bare'), request());
    assert.equal(noCa.status, 409, noCa.text);
    assert.match(noCa.json.message, /the shoot's control plane is not ready yet: no client CA in its ShootState/);
    const noAddress = await rawRequest(t.kubeconfig, 'POST', path('unaddressed'), request());
    assert.equal(noAddress.status, 409, noAddress.text);
    assert.match(noAddress.json.message, /not ready yet: no https URL .* status\.advertisedAddresses/);
  });

  it('answers 404 for an unknown shoot', async () => {
    const res = await rawRequest(t.kubeconfig, 'POST', path('nope'), request());
    assert.equal(res.status, 404, res.text);
    assert.match(res.json.message, /shoots.core.gardener.cloud "nope" not found/);
  });

  it('forbids users without create on shoots/adminkubeconfig', async () => {
    const stranger = await t.garden.hosted.ensureKubeconfig(join(t.dir, 'stranger.kubeconfig'), {
      name: 'stranger',
      groups: [],
    });
    const res = await rawRequest(stranger, 'POST', path('demo'), request());
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.reason, 'Forbidden');
  });

  it('serves only POST', async () => {
    const res = await rawRequest(t.kubeconfig, 'GET', path('demo'));
    assert.equal(res.status, 405, res.text);
  });

  it('works with kubectl create --raw', async () => {
    const out = await kubectl(
      t.memberKubeconfig,
      ['create', '--raw', path('demo'), '-f', '-'],
      JSON.stringify(request({ expirationSeconds: 1800 })),
    );
    assert.equal(out.code, 0, out.stderr);
    const body = JSON.parse(out.stdout);
    await checkClientCertificate(decode(body), body, secrets, 'dev-member', 1800);
  });
});
