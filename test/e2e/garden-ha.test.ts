/**
 * A garden on a 3-member TLS etcd cluster with 2 replicas behind haproxy, all real processes on
 * their own loopback addresses (127.x.y.z, a random range per run): kubectl through haproxy with
 * the kubeconfig the garden wrote, a seed kubeconfig issued through the API working on both
 * replicas, one Lease holder, failover after kill -9 of the leader (its controllers act), an etcd
 * member killed without the API noticing, and never two replicas leading at once (from the
 * leadership transitions both replicas log).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { gardenReplicaArgs } from '../../src/cli/landscape-hosts.js';
import { gardenEncryptedResources } from '../../src/garden/encrypted-resources.js';
import { issueSeedKubeconfigThroughApi } from '../../src/garden/seed-credentials.js';
import { ensureEncryptionConfigFile } from '../../src/hosting/encryption-config-file.js';
import { type EtcdCluster, etcdCluster } from '../../src/landscape/etcd-cluster.js';
import { type Haproxy, haproxy } from '../../src/landscape/haproxy.js';
import { killOnExit } from '../helpers/etcd.js';
import { kubectl } from '../helpers/kubectl.js';
import { eventually, until } from '../helpers/processes.js';
import { assertAbsent, etcdRawText, privateKeyForms, storedForms } from '../helpers/raw-store.js';

const cli = join(import.meta.dirname, '../../src/cli/main.js');
const missing = ['/usr/bin/etcd', '/usr/sbin/haproxy', '/usr/bin/kubectl'].filter((f) => !existsSync(f));
const apiPort = 6443;
/** Short leader-election timings (seconds) so that failover takes a few seconds. */
const lease = { duration: 3, renewDeadline: 2, retryPeriod: 0.5 };

interface Replica {
  name: string;
  dir: string;
  host: string;
  log: string;
  child: ChildProcess;
  exited: Promise<void>;
  killedAt?: number;
}

interface Leadership {
  identity: string;
  since: number;
  until?: number;
}

describe('garden on etcd: two replicas behind haproxy', {
  skip: missing.length ? `needs ${missing.join(', ')}` : false,
}, () => {
  const net = `127.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
  const lb = `${net}.20`;
  let dir: string;
  let cluster: EtcdCluster;
  let balancer: Haproxy;
  let encryptionConfig: string;
  const replicas: Replica[] = [];
  const forget: (() => void)[] = [];

  function startReplica(name: string, host: string): Replica {
    const replicaDir = join(dir, name);
    const log = join(dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(
      process.execPath,
      [
        cli,
        ...gardenReplicaArgs({
          dir: replicaDir,
          listen: host,
          port: apiPort,
          advertise: `${lb}:${apiPort}`,
          cluster,
          encryptionConfig,
          extra: [
            '--leader-elect-lease-duration',
            String(lease.duration),
            '--leader-elect-renew-deadline',
            String(lease.renewDeadline),
            '--leader-elect-retry-period',
            String(lease.retryPeriod),
          ],
        }),
      ],
      { stdio: ['ignore', fd, fd] },
    );
    forget.push(killOnExit(child.pid!));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const replica = { name, dir: replicaDir, host, log, child, exited };
    replicas.push(replica);
    return replica;
  }

  /** Every leadership interval a replica logged; one cut by kill -9 ends at the kill. */
  async function leadershipOf(replica: Replica): Promise<Leadership[]> {
    const intervals: Leadership[] = [];
    for (const line of (await readFile(replica.log, 'utf8')).split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { identity?: string; leaderSince?: number; leaderUntil?: number };
      if (entry.leaderSince !== undefined) intervals.push({ identity: entry.identity!, since: entry.leaderSince });
      if (entry.leaderUntil !== undefined) intervals.at(-1)!.until = entry.leaderUntil;
    }
    const open = intervals.at(-1);
    if (open && open.until === undefined && replica.killedAt !== undefined) open.until = replica.killedAt;
    return intervals;
  }

  async function leaders(): Promise<Replica[]> {
    const result: Replica[] = [];
    for (const r of replicas) {
      const last = (await leadershipOf(r)).at(-1);
      if (r.killedAt === undefined && last && last.until === undefined) result.push(r);
    }
    return result;
  }

  async function leaseHolder(kubeconfig: string): Promise<string | undefined> {
    const res = await kubectl(kubeconfig, [
      'get',
      'lease',
      '-n',
      'kube-system',
      'gardener-controller-manager-leader-election',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    return res.code === 0 && res.stdout ? res.stdout : undefined;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'garden-ha-'));
    cluster = etcdCluster({
      dir: join(dir, 'etcd'),
      members: [1, 2, 3].map((i) => ({ name: `etcd-${i}`, host: `${net}.${i}` })),
      extraArgs: ['--heartbeat-interval=50', '--election-timeout=500'],
    });
    await cluster.start();
    for (const m of ['etcd-1', 'etcd-2', 'etcd-3']) forget.push(killOnExit((await cluster.pidOf(m))!));
    // One file for both replicas, as `transplant up --hosts` gives them.
    encryptionConfig = await ensureEncryptionConfigFile(join(dir, 'encryption-config.yaml'), gardenEncryptedResources);
    // Both at once: they race for the shared CA and the Lease.
    startReplica('garden-1', `${net}.11`);
    startReplica('garden-2', `${net}.12`);
    balancer = haproxy({
      dir: join(dir, 'haproxy'),
      bind: { host: lb, port: apiPort },
      backends: replicas.map((r) => ({ name: r.name, host: r.host, port: apiPort })),
    });
    await balancer.start();
    forget.push(killOnExit((await balancer.pid())!));
    for (const r of replicas) {
      await until(
        async () => {
          if (r.child.exitCode !== null)
            assert.fail(`${r.name} exited:\n${(await readFile(r.log, 'utf8')).slice(-3000)}`);
          return existsSync(join(r.dir, 'garden.kubeconfig'));
        },
        60_000,
        `${r.name} wrote its kubeconfig`,
      );
    }
  });

  after(async () => {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await balancer?.stop();
    await cluster?.stop();
    for (const f of forget) f();
    if (process.env.KEEP_TEST_DIR) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  });

  it('leaves running etcd members and haproxy alone when started again', async () => {
    const members = ['etcd-1', 'etcd-2', 'etcd-3'];
    const before = [...(await Promise.all(members.map((m) => cluster.pidOf(m)))), await balancer.pid()];
    assert.ok(before.every((pid) => pid !== undefined));
    await cluster.start();
    await balancer.start();
    const after = [...(await Promise.all(members.map((m) => cluster.pidOf(m)))), await balancer.pid()];
    assert.deepEqual(after, before);
  });

  it('serves kubectl through haproxy with the kubeconfig a replica wrote, with one shared CA', async () => {
    const kubeconfigs = replicas.map((r) => join(r.dir, 'garden.kubeconfig'));
    const servers = new Set<string>();
    const cas = new Set<string>();
    for (const file of kubeconfigs) {
      const config = parseYaml(await readFile(file, 'utf8')) as {
        clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      };
      servers.add(config.clusters[0]!.cluster.server);
      cas.add(config.clusters[0]!.cluster['certificate-authority-data']);
      const res = await kubectl(file, ['get', 'namespaces', '-o', 'name']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /namespace\/kube-system/);
    }
    assert.deepEqual([...servers], [`https://${lb}:${apiPort}`]);
    assert.equal(cas.size, 1, 'both replicas trust one CA');
  });

  it('issues a seed kubeconfig through the API that works on both replicas at once', async () => {
    const out = join(dir, 'seed-x.kubeconfig');
    await issueSeedKubeconfigThroughApi(join(replicas[0]!.dir, 'garden.kubeconfig'), 'seed-x', out);
    for (const r of replicas) {
      // Straight at the replica, not through haproxy: each one must know the token.
      const res = await kubectl(out, ['--server', `https://${r.host}:${apiPort}`, 'get', '--raw', '/api']);
      assert.equal(res.code, 0, `${r.name}: ${res.stderr}`);
    }
    // The shared CA and token digests are out of a gardenlet's reach (the SharedStateGuard and
    // the SeedAuthorizer each refuse them).
    for (const args of [
      ['get', 'secret', '-n', 'kube-system', 'garden-ca'],
      ['get', 'secrets', '-A'],
      ['create', 'secret', 'generic', 'token-x', '-n', 'kube-system', '--from-literal=sha256=x'],
    ]) {
      const denied = await kubectl(out, args);
      assert.notEqual(denied.code, 0, `${args.join(' ')} should be forbidden`);
      assert.match(denied.stderr, /Forbidden|forbidden/);
    }
    // What the gardenlet does read there (the internal domain's Secret) it may.
    const internalDomain = [
      'get',
      'secrets',
      '-n',
      'garden',
      '-l',
      'gardener.cloud/role=internal-domain',
      '-o',
      'name',
    ];
    assert.equal((await kubectl(out, internalDomain)).code, 0);
    // A token nobody issued is refused: the check above can fail.
    const forged = stringifyYaml({
      ...(parseYaml(await readFile(out, 'utf8')) as object),
      users: [{ name: 'x', user: { token: 'forged-token-forged-token-forged-token-000' } }],
    }).replace(/user: gardener[^\n]*/, 'user: x');
    await writeFile(`${out}.forged`, forged, { mode: 0o600 });
    const refused = await kubectl(`${out}.forged`, ['get', '--raw', '/api']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Unauthorized/);
  });

  it('keeps Secrets and ShootStates encrypted in etcd, readable through either replica', async () => {
    const kubeconfig = join(replicas[0]!.dir, 'garden.kubeconfig');
    const value = `secret-${randomUUID()}`;
    const control = `plain-${randomUUID()}`;
    const manifests = [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'at-rest', namespace: 'garden' },
        stringData: { v: value },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'at-rest', namespace: 'garden' }, data: { v: control } },
      {
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'ShootState',
        metadata: { name: 'at-rest', namespace: 'garden-dev' },
        spec: {
          gardener: [{ name: 'ca', type: 'secret', data: { key: `-----BEGIN RSA PRIVATE KEY-----\n${value}` } }],
        },
      },
    ];
    const created = await kubectl(
      kubeconfig,
      ['create', '-f', '-'],
      manifests.map((m) => JSON.stringify(m)).join('\n'),
    );
    assert.equal(created.code, 0, created.stderr);
    for (const r of replicas) {
      const read = await kubectl(kubeconfig, [
        '--server',
        `https://${r.host}:${apiPort}`,
        'get',
        'shootstate',
        '-n',
        'garden-dev',
        'at-rest',
        '-o',
        'jsonpath={.spec.gardener[0].data.key}',
      ]);
      assert.equal(read.code, 0, read.stderr);
      assert.match(read.stdout, new RegExp(value));
    }
    const raw = await etcdRawText(cluster.endpoints, cluster.clientFiles, '/garden/');
    // The check can fail: a ConfigMap is not encrypted, its value is there in clear.
    assert.ok(raw.includes(control), 'the unencrypted ConfigMap is in etcd');
    // The shared CA's key (kube-system/garden-ca) and the ShootState's are encrypted too.
    assertAbsent(raw, [...storedForms(value), ...privateKeyForms], 'etcd under /garden/');
    assert.match(raw, /k8s:enc:aesgcm:v1:key-[0-9a-f]{12}:/);
  });

  it('has exactly one replica holding the Lease; kill -9 of it hands the controllers to the other', async () => {
    const kubeconfig = join(replicas[0]!.dir, 'garden.kubeconfig');
    const [leader] = await eventually(
      async () => {
        const now = await leaders();
        return now.length === 1 ? now : undefined;
      },
      30_000,
      'one replica leads',
    );
    const leaderIdentity = (await leadershipOf(leader!)).at(-1)!.identity;
    assert.equal(await leaseHolder(kubeconfig), leaderIdentity);
    const other = replicas.find((r) => r !== leader)!;

    leader!.killedAt = Date.now();
    leader!.child.kill('SIGKILL');
    await leader!.exited;
    const successor = await eventually(
      async () => {
        const last = (await leadershipOf(other)).at(-1);
        return last && last.until === undefined ? last : undefined;
      },
      30_000,
      `${other.name} leads`,
    );
    assert.ok(successor.since >= leader!.killedAt + lease.duration * 1000 - 1000, 'the successor waited out the Lease');
    await until(
      async () => (await leaseHolder(kubeconfig)) === successor.identity,
      10_000,
      'the Lease names the successor',
    );

    // The new leader's controllers act: a new Project gets its namespace.
    const project = `p${Date.now().toString(36)}`;
    const created = await kubectl(
      kubeconfig,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'Project',
        metadata: { name: project },
        spec: { namespace: `garden-${project}` },
      }),
    );
    assert.equal(created.code, 0, created.stderr);
    await until(
      async () => (await kubectl(kubeconfig, ['get', 'namespace', `garden-${project}`])).code === 0,
      20_000,
      'the project controller created the namespace',
    );
  });

  it('goes on reading and writing through haproxy when an etcd member is killed', async () => {
    const kubeconfig = join(replicas[0]!.dir, 'garden.kubeconfig');
    await cluster.stopMember('etcd-1', { kill: true });
    for (let i = 0; i < 10; i++) {
      // A write sent while the killed member led is answered 500 (etcd: "leader changed"): its
      // outcome is unknown, as from a kube-apiserver, and a client sends it again.
      let write = await kubectl(kubeconfig, ['create', 'configmap', `after-kill-${i}`, '-n', 'default']);
      for (let attempt = 1; write.code !== 0 && attempt < 5; attempt++) {
        assert.match(
          write.stderr,
          /leader changed|request timed out|may have been applied|AlreadyExists/,
          write.stderr,
        );
        if (/AlreadyExists/.test(write.stderr)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
        write = await kubectl(kubeconfig, ['create', 'configmap', `after-kill-${i}`, '-n', 'default']);
      }
      assert.ok(write.code === 0 || /AlreadyExists/.test(write.stderr), write.stderr);
      const read = await kubectl(kubeconfig, ['get', 'configmap', `after-kill-${i}`, '-n', 'default', '-o', 'name']);
      assert.equal(read.code, 0, read.stderr);
    }
  });

  it('never had two replicas leading at once', async () => {
    const intervals = (await Promise.all(replicas.map(leadershipOf))).flat().sort((a, b) => a.since - b.since);
    assert.ok(intervals.length >= 2, 'leadership changed hands at least once');
    for (let i = 1; i < intervals.length; i++) {
      const previous = intervals[i - 1]!;
      assert.ok(previous.until !== undefined, `${previous.identity} stopped leading before another started`);
      assert.ok(previous.until <= intervals[i]!.since, `${previous.identity} and ${intervals[i]!.identity} overlap`);
    }
  });
});
