/**
 * `transplant node` as the Worker extension starts it, against a real shoot kube-apiserver: the
 * Node registers Ready, its Lease in kube-node-lease is renewed; the API server going away and a
 * new instance coming up on the same address (a migration) is ridden out by the same process;
 * SIGTERM ends it cleanly; bad input fails with a clear message.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Json } from '../helpers/api-client.js';
import { kubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/processes.js';
import { startTestShootApi, TEST_SERVING_SEED, type TestShootApi } from '../helpers/shoot-api-server.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const RENEW_SECONDS = 0.3;

describe('transplant node', () => {
  let api: TestShootApi;
  let admin: string;
  const agents: ChildProcess[] = [];

  before(async () => {
    api = await startTestShootApi();
    admin = await api.kubeconfig('admin', ['system:masters']);
  });

  after(async () => {
    for (const agent of agents) if (agent.exitCode === null) agent.kill('SIGKILL');
    await api?.cleanup();
  });

  function startAgent(
    name: string,
    kubeconfig: string,
    renewSeconds = RENEW_SECONDS,
    extraArgs: string[] = [],
  ): ChildProcess & { output: () => string } {
    const agent = spawn(
      process.execPath,
      [cli, 'node', '--name', name, '--kubeconfig', kubeconfig, '--renew-interval', String(renewSeconds), ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    agent.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    agent.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    agents.push(agent);
    return Object.assign(agent, { output: () => output });
  }

  async function getJson(args: string[]): Promise<Json | undefined> {
    const result = await kubectl(admin, [...args, '-o', 'json']);
    return result.code === 0 ? JSON.parse(result.stdout) : undefined;
  }

  const renewTime = async (name: string) =>
    (await getJson(['get', 'lease', '-n', 'kube-node-lease', name]))?.spec?.renewTime as string | undefined;

  async function renewedAfter(name: string, since: string | undefined, what: string): Promise<string> {
    return eventually(
      async () => {
        const time = await renewTime(name);
        return time !== undefined && time !== since ? time : undefined;
      },
      15_000,
      what,
    );
  }

  it('registers its Node Ready and renews its Lease; rides out the API server going away and coming back', async () => {
    const name = 'machine-1';
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']), RENEW_SECONDS, [
      '--kubelet-version',
      '1.31.1',
    ]);
    const node = await eventually(
      async () => {
        const n = await getJson(['get', 'node', name]);
        return n?.status?.conditions?.find((c: Json) => c.type === 'Ready')?.status === 'True' ? n : undefined;
      },
      15_000,
      'the Node is Ready',
    );
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], name);
    // The kubelet's well-known labels, which published manifests select nodes by.
    assert.equal(node.metadata.labels['kubernetes.io/os'], process.platform);
    assert.equal(node.metadata.labels['kubernetes.io/arch'], process.arch === 'x64' ? 'amd64' : process.arch);
    assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.31.1', 'the version as a kubelet reports it, with its v');
    assert.equal(node.status.nodeInfo.operatingSystem, 'linux');
    const table = await kubectl(admin, ['get', 'nodes']);
    assert.match(table.stdout, new RegExp(`${name}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.31\\.1`));
    const lease = await getJson(['get', 'lease', '-n', 'kube-node-lease', name]);
    assert.equal(lease?.spec.holderIdentity, name);
    assert.equal(lease?.spec.leaseDurationSeconds, 40);
    const first = await renewedAfter(name, undefined, 'the lease exists');
    await renewedAfter(name, first, 'the lease is renewed');

    await api.stop();
    await new Promise((resolve) => setTimeout(resolve, 4 * RENEW_SECONDS * 1000));
    await api.start();
    const before = await renewTime(name);
    await renewedAfter(name, before, 'the same agent renews against the new API server instance');
    assert.equal(agent.exitCode, null, 'the agent kept running');
    assert.match(agent.output(), /heartbeat failed; retrying/, 'it said why while the API server was away');
    assert.match(agent.output(), /the API server answers again/);

    agent.kill('SIGTERM');
    const code = await new Promise((resolve) => agent.once('exit', resolve));
    assert.equal(code, 0, 'SIGTERM ends it cleanly');
  });

  it("runs the pods bound to it; restarted, it adopts them unchanged; it may touch no other node's pods", async () => {
    const name = 'machine-pods';
    const nodeKubeconfig = await api.kubeconfig(`system:node:${name}`, ['system:nodes']);
    const args = ['--pod-cidr', '10.11.5.0/24', '--internal-ip', '10.10.0.50', '--complete-after', '0.5'];
    const agent = startAgent(name, nodeKubeconfig, RENEW_SECONDS, args);
    const pod = (podName: string, nodeName: string, restartPolicy = 'Always') =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: podName, namespace: 'default' },
        spec: { nodeName, restartPolicy, containers: [{ name: 'c', image: 'nginx:1.27' }] },
      });
    for (const [podName, node, policy] of [
      ['on-it', name, 'Always'],
      ['once', name, 'Never'],
      ['elsewhere', 'other-node', 'Always'],
    ] as const) {
      const created = await kubectl(admin, ['apply', '-f', '-'], pod(podName, node, policy));
      assert.equal(created.code, 0, created.stderr);
    }
    const phaseOf = async (podName: string) => (await getJson(['get', 'pod', podName]))?.status?.phase;
    const running = await eventually(
      async () => {
        const p = await getJson(['get', 'pod', 'on-it']);
        return p?.status?.phase === 'Running' ? p : undefined;
      },
      15_000,
      'its pod is Running',
    );
    assert.deepEqual([running.status.hostIP, running.status.podIP], ['10.10.0.50', '10.11.5.2']);
    await eventually(async () => ((await phaseOf('once')) === 'Succeeded' ? true : undefined), 15_000, 'once succeeds');
    assert.equal(await phaseOf('elsewhere'), 'Pending', "another node's pod is not its business");
    const forbidden = await kubectl(nodeKubeconfig, [
      'patch',
      'pod',
      'elsewhere',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Running"}}',
    ]);
    assert.notEqual(forbidden.code, 0);
    assert.match(forbidden.stderr, /node "machine-pods" can only update pods bound to itself/);

    agent.kill('SIGTERM');
    assert.equal(await new Promise((resolve) => agent.once('exit', resolve)), 0);
    const again = startAgent(name, nodeKubeconfig, RENEW_SECONDS, args);
    await renewedAfter(name, await renewTime(name), 'the restarted agent is back');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const adopted = await getJson(['get', 'pod', 'on-it']);
    assert.equal(adopted.metadata.resourceVersion, running.metadata.resourceVersion, 'its status was not rewritten');
    assert.deepEqual(adopted.status, running.status);

    const deleted = await kubectl(admin, ['delete', 'pod', 'on-it', '--timeout=15s']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(await getJson(['get', 'pod', 'on-it']), undefined, 'the node deleted it once stopped');
    again.kill('SIGTERM');
  });

  it('notices the API server going away at once and is back without waiting for its next renewal', async () => {
    const name = 'machine-slow-renewal';
    // A renew interval far longer than the test may take: only noticing the outage brings it back.
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']), 600);
    const first = await renewedAfter(name, undefined, 'the first heartbeat');
    await api.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await api.start();
    await renewedAfter(name, first, 'a heartbeat right after the API server is back');
    agent.kill('SIGTERM');
  });

  it('an egress deny list naming the serving seed cuts the machine off; removing the entry reconnects it', async () => {
    const name = 'machine-firewalled';
    const denyFile = join(api.dir, `${name}.egress-deny`);
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']), RENEW_SECONDS, [
      '--egress-deny-file',
      denyFile,
      '--vpn-server',
      api.vpnUrl,
    ]);
    const first = await renewedAfter(name, undefined, 'the first heartbeat');
    await reachable(name, 'the tunnel is open before the firewall closes');
    await writeFile(denyFile, `# the firewall of the test\n${TEST_SERVING_SEED}\n`);
    await eventually(
      async () =>
        new RegExp(`egress to seed ${TEST_SERVING_SEED} is denied by`).test(agent.output()) ? true : undefined,
      15_000,
      'the agent reports the denied egress',
    );
    const blocked = await renewTime(name);
    await new Promise((resolve) => setTimeout(resolve, 5 * RENEW_SECONDS * 1000));
    assert.equal(await renewTime(name), blocked, 'no heartbeat gets through while denied');
    assert.ok(blocked! >= first);
    assert.deepEqual(api.vpn()?.connectedNodes(), [], 'the open tunnel was cut too');
    assert.match((await proxy(name, '/healthz')).stderr, /has no tunnel/);
    await writeFile(denyFile, '');
    await renewedAfter(name, blocked, 'the agent reaches the API server again once allowed');
    await reachable(name, 'and the API server reaches the node again');
    agent.kill('SIGTERM');
  });

  const proxy = (name: string, path: string) => kubectl(admin, ['get', '--raw', `/api/v1/nodes/${name}/proxy${path}`]);

  async function reachable(name: string, what: string): Promise<void> {
    await eventually(async () => ((await proxy(name, '/healthz')).stdout === 'ok' ? true : undefined), 15_000, what);
  }

  it('holds a VPN tunnel through which the API server reaches the node; the same process again after the servers move', async () => {
    const name = 'machine-tunnel';
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']), RENEW_SECONDS, [
      '--vpn-server',
      api.vpnUrl,
    ]);
    await reachable(name, 'kubectl reaches the node through nodes/proxy');
    assert.deepEqual(api.vpn()?.connectedNodes(), [name], 'the tunnel is known by the certificate’s node name');
    const configz = JSON.parse((await proxy(name, '/configz')).stdout);
    assert.equal(configz.kubeletconfig.nodeName, name, 'the node itself answered');
    const missing = await proxy(name, '/no-such-path');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound|404/, "the node's own 404 comes back");

    // A migration's view of it: both servers go away and come back at the same address.
    await api.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await api.start();
    await reachable(name, 'the same agent reaches the new vpn-seed-server');
    assert.equal(agent.exitCode, null);
    assert.match(agent.output(), /VPN tunnel not open; retrying/);
    assert.match(agent.output(), /VPN tunnel open again/);
    agent.kill('SIGTERM');
    assert.equal(await new Promise((resolve) => agent.once('exit', resolve)), 0);
    await eventually(
      async () => (api.vpn()?.connectedNodes().length === 0 ? true : undefined),
      5_000,
      'the tunnel closes with the agent',
    );
    const gone = await proxy(name, '/healthz');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, new RegExp(`error dialing backend: node ${name} has no tunnel`));
  });

  it('nodes/proxy says why it cannot reach a node: no tunnel, or no such node', async () => {
    const name = 'machine-without-vpn';
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']));
    await renewedAfter(name, undefined, 'the node is registered');
    const noTunnel = await proxy(name, '/healthz');
    assert.notEqual(noTunnel.code, 0);
    assert.match(noTunnel.stderr, /ServiceUnavailable|error dialing backend: node machine-without-vpn has no tunnel/);
    const ghost = await proxy('ghost', '/healthz');
    assert.notEqual(ghost.code, 0);
    assert.match(ghost.stderr, /nodes "ghost" not found/);
    agent.kill('SIGTERM');
  });

  it("a node's credentials change only its own Node and Lease (NodeRestriction)", async () => {
    const [mine, other] = ['machine-own', 'machine-other'];
    const agent = startAgent(other, await api.kubeconfig(`system:node:${other}`, ['system:nodes']));
    await renewedAfter(other, undefined, `${other} is registered`);
    const own = await api.kubeconfig(`system:node:${mine}`, ['system:nodes']);
    const label = (node: string) => kubectl(own, ['label', 'node', node, 'stolen=true']);
    const refused = await label(other);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`node "${mine}" is not allowed to modify node "${other}"`));
    const lease = await kubectl(own, [
      'patch',
      'lease',
      '-n',
      'kube-node-lease',
      other,
      '--type',
      'merge',
      '-p',
      '{"spec":{"holderIdentity":"thief"}}',
    ]);
    assert.notEqual(lease.code, 0);
    assert.match(lease.stderr, /can only access the node lease with the same name as the requesting node/);
    assert.equal((await getJson(['get', 'lease', '-n', 'kube-node-lease', other]))?.spec.holderIdentity, other);
    assert.equal((await getJson(['get', 'node', other]))?.metadata.labels.stolen, undefined, 'nothing changed');
    const created = await kubectl(
      own,
      ['create', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: mine } }),
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await label(mine)).code, 0, 'its own Node it may change');
    agent.kill('SIGTERM');
  });

  it('refuses a VPN server URL that is not wss://', async () => {
    const name = 'machine-bad-vpn';
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']), RENEW_SECONDS, [
      '--vpn-server',
      api.vpnUrl.replace('wss:', 'ws:'),
    ]);
    const code = await new Promise((resolve) => agent.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(agent.output(), /--vpn-server.*wss:\/\//);
  });

  it('refuses a --kubelet-version that is not a Kubernetes version', async () => {
    const name = 'machine-bad-version';
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']), RENEW_SECONDS, [
      '--kubelet-version',
      'latest',
    ]);
    const code = await new Promise((resolve) => agent.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(agent.output(), /--kubelet-version.*v1\.31\.1/);
  });

  it('a certificate the API server does not trust gets nowhere, and the agent says why', async () => {
    const name = 'machine-untrusted';
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes'], api.ca));
    await eventually(
      async () => (/heartbeat failed/.test(agent.output()) ? true : undefined),
      15_000,
      'the agent reports the failure',
    );
    assert.match(agent.output(), /Unauthorized|401/);
    assert.equal(await getJson(['get', 'node', name]), undefined, 'no Node was registered');
    agent.kill('SIGTERM');
  });

  it('a missing kubeconfig file is a clear error at start', async () => {
    const agent = startAgent('machine-x', join(api.dir, 'missing.kubeconfig'));
    const code = await new Promise((resolve) => agent.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(agent.output(), /missing\.kubeconfig/);
  });
});
