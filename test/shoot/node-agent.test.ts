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
    const agent = startAgent(name, await api.kubeconfig(`system:node:${name}`, ['system:nodes']));
    const node = await eventually(
      async () => {
        const n = await getJson(['get', 'node', name]);
        return n?.status?.conditions?.find((c: Json) => c.type === 'Ready')?.status === 'True' ? n : undefined;
      },
      15_000,
      'the Node is Ready',
    );
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], name);
    const table = await kubectl(admin, ['get', 'nodes']);
    assert.match(table.stdout, new RegExp(`${name}\\s+Ready`));
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
    ]);
    const first = await renewedAfter(name, undefined, 'the first heartbeat');
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
    await writeFile(denyFile, '');
    await renewedAfter(name, blocked, 'the agent reaches the API server again once allowed');
    agent.kill('SIGTERM');
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
