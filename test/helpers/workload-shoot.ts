/**
 * A shoot on a real landscape for the workload e2e tests: kubectl against it with a discovery
 * cache of its own, and the stand-in kubelet (./pod-stand-in.ts) running the pods of `default`
 * on the shoot's first node until the shoot runs pods itself.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandResult, kubectl } from './kubectl.js';
import type { LandscapeOptions } from './landscape.js';
import { type ShootOnLandscape, startShootOnLandscape } from './migration.js';
import { type PodStandIn, shootPodApi, startPodStandIn } from './pod-stand-in.js';

export interface WorkloadShoot {
  shoot: ShootOnLandscape;
  kubelet: PodStandIn;
  /** kubectl with the shoot's admin kubeconfig; never throws. */
  k(args: string[], input?: string): Promise<CommandResult>;
  /** kubectl that must succeed; its stdout. */
  ok(args: string[], input?: string): Promise<string>;
  /** `ok` with `-o json`, parsed. */
  // biome-ignore lint/suspicious/noExplicitAny: tests walk kubectl's JSON output with their own assertions.
  json(args: string[]): Promise<any>;
  stop(): Promise<void>;
}

export async function startWorkloadShoot(options: Partial<LandscapeOptions> = {}): Promise<WorkloadShoot> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'transplant-kubectl-cache-'));
  const shoot = await startShootOnLandscape(options);
  const k = (args: string[], input?: string) => kubectl(shoot.kubeconfig, ['--cache-dir', cacheDir, ...args], input);
  const ok = async (args: string[], input?: string) => {
    const result = await k(args, input);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const nodes = (await k(['get', 'nodes', '-o', 'name'])).stdout.trim().split('\n');
  const node = nodes[0]?.replace('node/', '') || 'node-1';
  const kubelet = startPodStandIn(shootPodApi(shoot.client), 'default', { node, intervalMs: 300 });
  return {
    shoot,
    kubelet,
    k,
    ok,
    json: async (args) => JSON.parse(await ok([...args, '-o', 'json'])),
    stop: async () => {
      kubelet.stop();
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
