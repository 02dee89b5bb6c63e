/**
 * A shoot on a real landscape for the e2e tests that drive it with kubectl (workloads, Services
 * and Jobs, built-in APIs, CRDs): kubectl against it with a discovery cache of its own, and
 * `machines` Ready nodes. The shoot's own kube-scheduler binds the pods and
 * its node agents run them: no stand-in plays either.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandResult, kubectl } from './kubectl.js';
import type { LandscapeOptions } from './landscape.js';
import { readyNodes, type ShootOnLandscape, setWorkerMachines, startShootOnLandscape } from './migration.js';
import { until } from './processes.js';

export interface KubectlShoot {
  shoot: ShootOnLandscape;
  /** A temporary folder (kubectl's discovery cache, and files a test writes), removed by `stop`. */
  dir: string;
  /** The names of the shoot's Ready nodes, sorted. */
  nodes: string[];
  /** kubectl with the shoot's admin kubeconfig; never throws. */
  k(args: string[], input?: string): Promise<CommandResult>;
  /** kubectl that must succeed; its stdout. */
  ok(args: string[], input?: string): Promise<string>;
  /** `ok` with `-o json`, parsed. */
  // biome-ignore lint/suspicious/noExplicitAny: tests walk kubectl's JSON output with their own assertions.
  json(args: string[]): Promise<any>;
  stop(): Promise<void>;
}

/** The example shoot on a landscape, its worker pool at `machines` machines (default 1), all Ready. */
export async function startKubectlShoot(
  options: Partial<LandscapeOptions> & { machines?: number } = {},
): Promise<KubectlShoot> {
  const { machines = 1, ...landscape } = options;
  const cacheDir = await mkdtemp(join(tmpdir(), 'transplant-kubectl-cache-'));
  const shoot = await startShootOnLandscape(landscape);
  if (machines !== 1) await setWorkerMachines(shoot.landscape.garden, machines);
  await until(async () => (await readyNodes(shoot.client)).length === machines, 120_000, `${machines} Ready nodes`);
  const k = (args: string[], input?: string) => kubectl(shoot.kubeconfig, ['--cache-dir', cacheDir, ...args], input);
  const ok = async (args: string[], input?: string) => {
    const result = await k(args, input);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  return {
    shoot,
    dir: cacheDir,
    nodes: await readyNodes(shoot.client),
    k,
    ok,
    json: async (args) => JSON.parse(await ok([...args, '-o', 'json'])),
    stop: async () => {
      await shoot.stop();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** A StatefulSet `name` of `replicas` pods labelled `app: <name>`, running `image`. */
export function statefulSetManifest(name: string, replicas: number, image: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } },
    },
  });
}
