import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import type { CertificateAuthority } from '../../src/apiserver/pki/certificates.js';
import {
  bundle,
  clientCaBundle,
  clientSigningCa,
  clusterCaBundle,
  SUCCESSOR_SECRET_NAMES,
} from '../../src/shoot/credentials-rotation.js';
import { issueAdminClientCertificate, issueKubeApiServerCertificate } from '../../src/shoot/shoot-certificates.js';
import {
  fromSecretObjects,
  generateRotatedSecretData,
  generateShootSecrets,
  persistedSecretObject,
  type ShootSecrets,
  successorSecretName,
  toSecretObjects,
} from '../../src/shoot/shoot-secrets.js';

const namespace = 'shoot--dev--rotation';

/** Whether a TLS server trusting `clientCaPem` accepts a client certificate of `signer`. */
async function accepts(
  clientCaPem: string,
  signer: CertificateAuthority,
  serverCa: CertificateAuthority,
): Promise<boolean> {
  const serving = await issueKubeApiServerCertificate(serverCa, { ip: '127.0.0.1' });
  const server = https.createServer(
    { cert: serving.certPem, key: serving.keyPem, ca: clientCaPem, requestCert: true, rejectUnauthorized: true },
    (_req, res) => res.end('ok'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await issueAdminClientCertificate(signer, { user: 'u', groups: [], validitySeconds: 600 });
  try {
    return await new Promise<boolean>((resolve) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          ca: serverCa.certPem,
          cert: client.certPem,
          key: client.keyPem,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('error', () => resolve(false));
      req.end();
    });
  } finally {
    server.close();
  }
}

describe('credentials rotation: CA bundles and successors', () => {
  let current: ShootSecrets;
  let rotating: ShootSecrets;

  before(async () => {
    const objects = toSecretObjects(namespace, await generateShootSecrets(namespace));
    current = fromSecretObjects(objects)!;
    const successors = await Promise.all(
      ['ca', 'ca-client', 'service-account-key'].map(async (name) =>
        persistedSecretObject(namespace, successorSecretName(name), await generateRotatedSecretData(name)),
      ),
    );
    rotating = fromSecretObjects([...objects, ...successors])!;
  });

  it('outside a rotation: one CA each, exactly its PEM, and the client CA signs', () => {
    assert.equal(current.next, undefined);
    assert.equal(clusterCaBundle(current), current.ca.certPem);
    assert.equal(clientCaBundle(current), current.caClient.certPem);
    assert.equal(clientSigningCa(current), current.caClient);
  });

  it('while rotating: the successors are read, both CAs trusted, the new client CA signs', () => {
    assert.ok(rotating.next?.ca && rotating.next.caClient && rotating.next.serviceAccountKey);
    assert.notEqual(rotating.next.ca.certPem, rotating.ca.certPem);
    assert.equal(clusterCaBundle(rotating).match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.ok(clusterCaBundle(rotating).startsWith(rotating.ca.certPem.trim()));
    assert.equal(clientSigningCa(rotating), rotating.next.caClient);
    assert.deepEqual(SUCCESSOR_SECRET_NAMES, ['ca-new', 'ca-client-new', 'service-account-key-new']);
  });

  it('bundles each CA once, and a rotated secret keeps its common name', async () => {
    assert.equal(bundle(current.ca, current.ca, undefined), current.ca.certPem);
    const data = await generateRotatedSecretData('ca-client');
    assert.match(data['ca.crt']!, /BEGIN CERTIFICATE/);
    await assert.rejects(generateRotatedSecretData('etcd-encryption-key'), /is not rotated/);
  });

  it('a TLS server trusting the bundle accepts client certificates of the old and the new CA; after completion only the new', async () => {
    const both = clientCaBundle(rotating);
    assert.equal(await accepts(both, rotating.caClient, rotating.ca), true, 'old client CA while rotating');
    assert.equal(await accepts(both, rotating.next!.caClient!, rotating.ca), true, 'new client CA while rotating');
    const afterwards = bundle(rotating.next!.caClient!);
    assert.equal(await accepts(afterwards, rotating.caClient, rotating.ca), false, 'old client CA after completion');
    assert.equal(await accepts(afterwards, rotating.next!.caClient!, rotating.ca), true);
  });
});
