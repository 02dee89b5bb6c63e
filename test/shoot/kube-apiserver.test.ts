import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { buildKubeconfig, type KubeconfigUser } from '../../src/apiserver/kubeconfig.js';
import {
  type CertificateAndKey,
  type CertificateAuthority,
  generateCertificateAuthority,
  issueCertificate,
} from '../../src/apiserver/pki/certificates.js';
import {
  type ShootApiServer,
  type ShootApiServerOptions,
  startShootApiServer,
} from '../../src/shoot/kube-apiserver.js';
import { startTestEtcd, type TestEtcd } from '../helpers/etcd.js';
import { kubectl, kubectlStream } from '../helpers/kubectl.js';

const exec = promisify(execFile);
const name = 'shoot--dev--kapi-test';

interface Pki {
  ca: CertificateAuthority;
  caClient: CertificateAuthority;
  caEtcd: CertificateAuthority;
  serving: CertificateAndKey;
  etcdServer: CertificateAndKey;
  etcdClient: CertificateAndKey;
  admin: CertificateAndKey;
  jane: CertificateAndKey;
  stranger: CertificateAndKey;
}

let dir: string;
let etcd: TestEtcd;
let pki: Pki;
let options: ShootApiServerOptions;
let api: ShootApiServer;
let url: string;
let adminConfig: string;
let tokenConfig: string;
let janeConfig: string;
let strangerConfig: string;
const staticToken = randomBytes(32).toString('hex');

/** A loopback address of its own per run (any 127/8 address binds on Linux): runs never collide. */
function randomLoopback(): string {
  return `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

async function issuePki(host: string): Promise<Pki> {
  const [ca, caClient, caEtcd, otherCa] = await Promise.all([
    generateCertificateAuthority('kubernetes'),
    generateCertificateAuthority('kubernetes-client'),
    generateCertificateAuthority('etcd'),
    generateCertificateAuthority('kubernetes-client'),
  ]);
  const client = (ca: CertificateAuthority, user: string, groups: string[] = []) =>
    issueCertificate(ca, { commonName: user, organizations: groups, usage: 'client' });
  return {
    ca,
    caClient,
    caEtcd,
    serving: await issueCertificate(ca, { commonName: 'kube-apiserver', ipAddresses: [host], usage: 'server' }),
    etcdServer: await issueCertificate(caEtcd, {
      commonName: 'etcd-server',
      ipAddresses: ['127.0.0.1'],
      usage: 'both',
    }),
    etcdClient: await client(caEtcd, 'etcd-client'),
    admin: await client(caClient, 'admin', ['system:masters']),
    jane: await client(caClient, 'jane'),
    // Same subject as the admin, but signed by a CA the server does not trust.
    stranger: await client(otherCa, 'admin', ['system:masters']),
  };
}

async function kubeconfigFor(file: string, user: KubeconfigUser): Promise<string> {
  const path = join(dir, file);
  await writeFile(path, buildKubeconfig({ clusterName: name, server: url, caPem: pki.ca.certPem, user }), {
    mode: 0o600,
  });
  return path;
}

function certUser(user: string, cert: CertificateAndKey): KubeconfigUser {
  return { name: user, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem };
}

async function ok(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const result = await kubectl(kubeconfig, args, input);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** `etcdctl get <key> -w json` against the test etcd, over its client TLS. */
async function etcdGet(key: string): Promise<{ value: Buffer; modRevision: number } | undefined> {
  const { stdout } = await exec(
    '/usr/bin/etcdctl',
    [
      '--endpoints',
      etcd.endpoints[0]!,
      '--cacert',
      join(dir, 'etcd-ca.crt'),
      '--cert',
      join(dir, 'etcd-client.crt'),
      '--key',
      join(dir, 'etcd-client.key'),
      'get',
      key,
      '-w',
      'json',
    ],
    { env: { ...process.env, ETCDCTL_API: '3' } },
  );
  const response = JSON.parse(stdout) as { kvs?: { value: string; mod_revision: number }[] };
  const kv = response.kvs?.[0];
  return kv && { value: Buffer.from(kv.value, 'base64'), modRevision: kv.mod_revision };
}

/** The status code of a GET with the given client certificate (no token). */
function statusWithCert(path: string, cert: CertificateAndKey): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { ca: pki.ca.certPem, cert: cert.certPem, key: cert.keyPem }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw watch as the admin; `closed` resolves when the server ends the response or the connection. */
function openWatch(path: string): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem },
      (res) => {
        assert.equal(res.statusCode, 200);
        res.resume();
        const closed = new Promise<void>((done) => {
          res.on('close', () => done());
          res.on('error', () => done());
        });
        resolve({ closed });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('shoot kube-apiserver', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-kapi-'));
    const host = randomLoopback();
    pki = await issuePki(host);
    etcd = await startTestEtcd({
      tls: {
        caPem: pki.caEtcd.certPem,
        certPem: pki.etcdServer.certPem,
        keyPem: pki.etcdServer.keyPem,
        clientCertAuth: true,
      },
    });
    await writeFile(join(dir, 'etcd-ca.crt'), pki.caEtcd.certPem);
    await writeFile(join(dir, 'etcd-client.crt'), pki.etcdClient.certPem);
    await writeFile(join(dir, 'etcd-client.key'), pki.etcdClient.keyPem, { mode: 0o600 });
    options = {
      name,
      etcd: {
        endpoints: etcd.endpoints,
        tls: { caPem: pki.caEtcd.certPem, certPem: pki.etcdClient.certPem, keyPem: pki.etcdClient.keyPem },
      },
      serving: pki.serving,
      clientCaPem: pki.caClient.certPem,
      staticToken,
      encryptionKeyBase64: randomBytes(32).toString('base64'),
      host,
      port: 0,
      logger: pino({ level: 'silent' }),
    };
    api = await startShootApiServer(options);
    url = api.url;
    adminConfig = await kubeconfigFor('admin.kubeconfig', certUser('admin', pki.admin));
    tokenConfig = await kubeconfigFor('token.kubeconfig', { name: 'static-token', token: staticToken });
    janeConfig = await kubeconfigFor('jane.kubeconfig', certUser('jane', pki.jane));
    strangerConfig = await kubeconfigFor('stranger.kubeconfig', certUser('admin', pki.stranger));
  });

  after(async () => {
    await api?.stop();
    await etcd?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves on the shoot address with the bootstrap namespaces and cluster-admin', async () => {
    assert.match(url, /^https:\/\/127\.\d+\.\d+\.\d+:\d+$/);
    const namespaces = await ok(adminConfig, ['get', 'namespaces', '-o', 'name']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.match(namespaces, new RegExp(`^namespace/${ns}$`, 'm'));
    }
    assert.match(await ok(adminConfig, ['get', 'clusterrole', 'cluster-admin', '-o', 'name']), /cluster-admin/);
    const resources = await ok(adminConfig, ['api-resources', '-o', 'name']);
    for (const resource of [
      'configmaps',
      'secrets',
      'namespaces',
      'nodes',
      'serviceaccounts',
      'events',
      'leases.coordination.k8s.io',
      'clusterroles.rbac.authorization.k8s.io',
      'selfsubjectaccessreviews.authorization.k8s.io',
    ]) {
      assert.match(resources, new RegExp(`^${resource.replaceAll('.', '\\.')}$`, 'm'));
    }
  });

  it('creates and reads namespaces, configmaps and secrets with kubectl', async () => {
    await ok(adminConfig, ['create', 'namespace', 'team']);
    await ok(adminConfig, ['-n', 'team', 'create', 'configmap', 'settings', '--from-literal=color=blue']);
    await ok(adminConfig, ['-n', 'team', 'create', 'secret', 'generic', 'db', '--from-literal=password=hunter2-plain']);
    assert.equal(
      await ok(adminConfig, ['-n', 'team', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.color}']),
      'blue',
    );
    const password = await ok(adminConfig, ['-n', 'team', 'get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(password, 'base64').toString(), 'hunter2-plain');
    assert.match(await ok(adminConfig, ['get', 'namespace', 'team']), /^team\s+Active\s+/m);
    assert.match(await ok(adminConfig, ['-n', 'team', 'get', 'secrets']), /^db\s+Opaque\s+1\s+/m);
    // NamespaceLifecycle: nothing goes into a namespace that does not exist.
    const missing = await kubectl(adminConfig, ['-n', 'nowhere', 'create', 'configmap', 'x']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /namespaces "nowhere" not found/);
  });

  it('stores configmaps under /registry with resourceVersion = etcd mod revision, secrets encrypted', async () => {
    await ok(adminConfig, ['-n', 'team', 'create', 'configmap', 'revision-check', '--from-literal=a=1']);
    await ok(adminConfig, ['-n', 'team', 'patch', 'configmap', 'revision-check', '-p', '{"data":{"a":"2"}}']);
    const rv = await ok(adminConfig, [
      '-n',
      'team',
      'get',
      'configmap',
      'revision-check',
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    ]);
    const configMap = await etcdGet('/registry/configmaps/team/revision-check');
    assert.ok(configMap, 'the configmap is in etcd under /registry/configmaps/<ns>/<name>');
    assert.equal(String(configMap.modRevision), rv);
    assert.equal(JSON.parse(configMap.value.toString()).data.a, '2');

    const secret = await etcdGet('/registry/secrets/team/db');
    assert.ok(secret, 'the secret is in etcd under /registry/secrets/<ns>/<name>');
    const text = secret.value.toString();
    for (const needle of ['hunter2-plain', Buffer.from('hunter2-plain').toString('base64')]) {
      assert.ok(!text.includes(needle), `etcd holds ${needle} in the clear`);
    }
    const wrapper = JSON.parse(text);
    assert.deepEqual(Object.keys(wrapper), ['apiVersion', 'kind', 'metadata', 'encrypted']);
    assert.deepEqual(wrapper.metadata, { name: 'db', namespace: 'team' });
    assert.match(wrapper.encrypted, /^k8s:enc:aesgcm:v1:key-[0-9a-f]{12}:[A-Za-z0-9+/]+=*$/);
  });

  it('streams changes to kubectl get configmaps -w', async () => {
    const watch = kubectlStream(adminConfig, ['-n', 'team', 'get', 'configmaps', '-w']);
    try {
      await watch.waitFor(/^settings\s+1\s+/m);
      await ok(adminConfig, [
        '-n',
        'team',
        'create',
        'configmap',
        'streamed',
        '--from-literal=x=1',
        '--from-literal=y=2',
      ]);
      await watch.waitFor(/^streamed\s+2\s+/m);
    } finally {
      watch.stop();
    }
  });

  it('accepts the static token as system:cluster-admin in system:masters', async () => {
    assert.match(
      await ok(tokenConfig, ['-n', 'team', 'get', 'configmap', 'settings', '-o', 'name']),
      /configmap\/settings/,
    );
    assert.equal((await ok(tokenConfig, ['auth', 'can-i', 'delete', 'nodes'])).trim(), 'yes');
    const wrongToken = await kubeconfigFor('wrong-token.kubeconfig', {
      name: 'x',
      token: randomBytes(32).toString('hex'),
    });
    const rejected = await kubectl(wrongToken, ['get', 'namespaces']);
    assert.notEqual(rejected.code, 0);
    assert.match(rejected.stderr, /Unauthorized/);
  });

  it('rejects a client certificate from another CA with 401', async () => {
    assert.equal(await statusWithCert('/api/v1/namespaces', pki.stranger), 401);
    assert.equal(await statusWithCert('/api/v1/namespaces', pki.admin), 200);
    const result = await kubectl(strangerConfig, ['get', 'namespaces']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Unauthorized/);
  });

  it('authorizes other users through the shoot’s own RBAC objects', async () => {
    const denied = await kubectl(janeConfig, ['-n', 'team', 'get', 'configmaps']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /forbidden: User "jane" cannot list resource "configmaps"/);
    assert.equal(await statusWithCert('/api/v1/namespaces/team/configmaps', pki.jane), 403);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'jane-admin', namespace: 'team' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'jane' }],
    };
    await ok(adminConfig, ['create', '-f', '-'], JSON.stringify(binding));
    await eventually(
      async () => (await kubectl(janeConfig, ['-n', 'team', 'get', 'configmaps'])).code === 0,
      'jane may list',
    );
    assert.equal((await ok(janeConfig, ['-n', 'team', 'auth', 'can-i', 'create', 'secrets'])).trim(), 'yes');
    assert.equal(
      (await kubectl(janeConfig, ['-n', 'default', 'auth', 'can-i', 'create', 'secrets'])).stdout.trim(),
      'no',
    );
  });

  it('serves Nodes with kubectl’s columns', async () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'worker-1', labels: { 'node-role.kubernetes.io/worker': '' } },
    };
    await ok(adminConfig, ['create', '-f', '-'], JSON.stringify(node));
    assert.match(await ok(adminConfig, ['get', 'nodes']), /^worker-1\s+Unknown\s+worker\s+\S+\s*$/m);
    const status = {
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
        nodeInfo: { kubeletVersion: 'v1.31.0' },
      },
    };
    await ok(adminConfig, [
      'patch',
      'node',
      'worker-1',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    assert.match(
      await ok(adminConfig, ['get', 'no']),
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n(worker-1)\s+Ready\s+worker\s+\S+\s+v1\.31\.0$/m,
    );
    await ok(adminConfig, ['cordon', 'worker-1']);
    assert.match(
      await ok(adminConfig, ['get', 'node', 'worker-1']),
      /^worker-1\s+Ready,SchedulingDisabled\s+worker\s+/m,
    );
  });

  it('after stop refuses connections; a new server on the same etcd serves every object to the same kubeconfig', async () => {
    const before = await ok(adminConfig, [
      'get',
      'namespaces,configmaps,secrets,rolebindings,nodes',
      '-A',
      '-o',
      'json',
    ]);
    const summary = (json: string) =>
      (
        JSON.parse(json).items as {
          kind: string;
          metadata: { namespace?: string; name: string; resourceVersion: string };
        }[]
      )
        .map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.resourceVersion}`)
        .sort();
    const watch = await openWatch('/api/v1/namespaces/team/configmaps?watch=true');
    const stopStarted = Date.now();
    await api.stop();
    await watch.closed;
    assert.ok(Date.now() - stopStarted < 3_000, `stop() and the watch's end took ${Date.now() - stopStarted} ms`);
    const refused = await kubectl(adminConfig, ['get', 'namespaces', '--request-timeout=5s']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /refused/);

    api = await startShootApiServer({ ...options, port: Number(new URL(url).port) });
    assert.equal(api.url, url);
    const after = await ok(adminConfig, [
      'get',
      'namespaces,configmaps,secrets,rolebindings,nodes',
      '-A',
      '-o',
      'json',
    ]);
    assert.deepEqual(summary(after), summary(before));
    const password = await ok(adminConfig, ['-n', 'team', 'get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(password, 'base64').toString(), 'hunter2-plain');
    await ok(tokenConfig, ['-n', 'team', 'create', 'configmap', 'after-restart']);
    await eventually(
      async () => (await kubectl(janeConfig, ['-n', 'team', 'get', 'configmaps'])).code === 0,
      'jane’s binding is known again',
    );
  });

  it('a server given another encryption key fails clearly on secrets and serves everything else', async () => {
    const other = await startShootApiServer({
      ...options,
      host: '127.0.0.1',
      serving: await issueCertificate(pki.ca, {
        commonName: 'kube-apiserver',
        ipAddresses: ['127.0.0.1'],
        usage: 'server',
      }),
      encryptionKeyBase64: randomBytes(32).toString('base64'),
    });
    try {
      const config = join(dir, 'other.kubeconfig');
      await writeFile(
        config,
        buildKubeconfig({
          clusterName: name,
          server: other.url,
          caPem: pki.ca.certPem,
          user: certUser('admin', pki.admin),
        }),
      );
      assert.match(await ok(config, ['-n', 'team', 'get', 'configmap', 'settings', '-o', 'name']), /settings/);
      const secret = await kubectl(config, ['-n', 'team', 'get', 'secret', 'db']);
      assert.notEqual(secret.code, 0);
      assert.match(
        secret.stderr,
        /cannot decrypt \/registry\/secrets\/team\/db with key key-[0-9a-f]{12}: no such key is configured/,
      );
    } finally {
      await other.stop();
    }
  });
});
