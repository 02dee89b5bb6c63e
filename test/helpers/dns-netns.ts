/**
 * What the DNS-endpoint e2e tests share (test/e2e/migration-dns.test.ts,
 * test/e2e/live-migration-dns.test.ts): the test file runs itself again inside a network
 * namespace of its own (`ip netns exec`), whose resolver is a real knotd on 127.0.0.1:53
 * authoritative for `landscape.test`; seed-a and seed-b serve shoots' endpoints on addresses of
 * their own pools; the garden gets the internal-domain Secret for knotd. Every address used is
 * one of the namespace's loopback addresses, and the namespace, its processes and its resolver
 * file go when the outer test ends, however it ends. Without root the outer test skips, saying so.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type KnotServer, startKnotServer } from '../../src/landscape/knot-server.js';
import { kubectl } from './kubectl.js';
import { SHOOT } from './migration.js';
import { createTestNetns, netnsSkipReason } from './netns.js';

export const DOMAIN = 'landscape.test';
export const API_NAME = `api.${SHOOT}.dev.${DOMAIN}`;
export const POOLS = { 'seed-a': '127.10.0.0/28', 'seed-b': '127.11.0.0/28' };
/** The first host address of each pool: the one the only shoot takes. */
export const ADDRESS = { 'seed-a': '127.10.0.1', 'seed-b': '127.11.0.1' };
export const DNS = { host: '127.0.0.1', port: 53 };
/** `transplant up` arguments giving each seed its pool. */
export const POOL_ARGS = Object.entries(POOLS).flatMap(([seed, pool]) => ['--shoot-addresses', `${seed}=${pool}`]);

/**
 * Runs `inside` when this process is the copy inside the namespace (the environment variable
 * `marker` set), else defines the outer test that runs `fileUrl` there as a test runner of its own.
 */
export function inOwnNetns(
  options: {
    fileUrl: string;
    marker: string;
    prefix: string;
    title: string;
    /** A reason to skip the whole test (a `make test-matrix` variant): no namespace is made. */
    skip?: string | false;
  },
  inside: (netnsName: string) => void,
): void {
  const name = process.env[options.marker];
  if (name) {
    inside(name);
    return;
  }
  describe(options.title, { skip: options.skip ?? false }, () => {
    it('passes inside the namespace, which is gone afterwards', async (t) => {
      const skip = netnsSkipReason();
      if (skip) return t.skip(skip);
      const netns = await createTestNetns(options.prefix);
      const tmp = await mkdtemp(join(tmpdir(), `transplant-${options.prefix}-e2e-`));
      try {
        const [command, ...args] = netns.wrap([
          process.execPath,
          '--test',
          '--test-reporter=spec',
          '--test-timeout=540000',
          fileURLToPath(options.fileUrl),
        ]);
        const { NODE_TEST_CONTEXT: _, ...env } = process.env;
        const child = spawn(command!, args, {
          env: { ...env, [options.marker]: netns.name, TMPDIR: tmp },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
        });
        child.stderr.on('data', (chunk) => {
          output += chunk;
        });
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        assert.equal(code, 0, `the test inside ${netns.name} failed:\n${output.slice(-6000)}`);
        // What the inner runner found (its tests and diagnostics), in this runner's report.
        t.diagnostic(output.slice(-6000));
      } finally {
        await netns.cleanup();
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
}

/** knotd on the namespace's resolver address, authoritative for `DOMAIN`. */
export function startNamespaceKnot(): Promise<KnotServer> {
  return startKnotServer({ dir: join(tmpdir(), 'knot'), zone: DOMAIN, address: DNS.host, port: DNS.port });
}

/** The garden's internal-domain Secret for `knot` (Gardener's labels and annotations). */
export async function applyInternalDomain(gardenKubeconfig: string, knot: KnotServer): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'internal-domain',
      namespace: 'garden',
      labels: { 'gardener.cloud/role': 'internal-domain' },
      annotations: { 'dns.gardener.cloud/provider': 'rfc2136', 'dns.gardener.cloud/domain': DOMAIN },
    },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(knot.secretData()).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  const applied = await kubectl(gardenKubeconfig, ['apply', '-f', '-'], JSON.stringify(secret));
  assert.equal(applied.code, 0, applied.stderr);
}
