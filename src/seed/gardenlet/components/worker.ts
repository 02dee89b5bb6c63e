/**
 * The shoot's Worker (`<shoot>`): its pools from `spec.provider.workers` (Gardener's field names),
 * each with the shoot's Kubernetes version unless the pool sets its own, and where the machines'
 * node agents reach the control plane (the stable API URL and the vpn-seed-server).
 */
import type { Shoot } from '../../../api/core-gardener/shoot.js';
import { credentialsOf } from '../../../api/core-gardener/shoot-operation.js';
import { type Worker, type WorkerPool, workerResource } from '../../../api/extensions/worker.js';
import { WORKER_CONFIG_KIND } from '../../extensions/worker-actuator.js';
import { type ExtensionKind, localProviderSpec } from './extension.js';

export const worker: ExtensionKind<Worker> = {
  resource: workerResource,
  name: (c) => c.shoot.metadata.name!,
  spec: (c) => ({
    ...localProviderSpec(c),
    pools: shootWorkerPools(c.shoot),
    providerConfig: {
      apiVersion: 'local.provider.extensions.transplant.dev/v1alpha1',
      kind: WORKER_CONFIG_KIND,
      apiServerURL: c.endpoint.apiUrl,
      vpnServerURL: c.endpoint.vpnUrl,
      ...networks(c.shoot),
      ...caRotation(c.shoot),
    },
  }),
};

/**
 * The CA rotation's phase: a new one changes the Worker's spec, so the actuator reconciles and
 * gives the machines kubeconfigs of the rotated CAs (Gardener's worker pool hash includes the
 * rotation's `lastInitiationTime`, rolling the nodes).
 */
function caRotation(shoot: Shoot): { caRotation?: string } {
  const rotation = credentialsOf(shoot).rotation?.certificateAuthorities;
  return rotation?.phase ? { caRotation: `${rotation.phase} ${rotation.lastInitiationTime ?? ''}`.trim() } : {};
}

/** The shoot's nodes and pods networks, where the machines take their addresses from. */
function networks(shoot: Shoot): { nodesCIDR?: string; podsCIDR?: string } {
  const { nodes, pods } = shoot.spec.networking ?? {};
  return {
    ...(typeof nodes === 'string' ? { nodesCIDR: nodes } : {}),
    ...(typeof pods === 'string' ? { podsCIDR: pods } : {}),
  };
}

/** The nodes the worker pools ask for: the sum of their minimums. */
export function nodesWanted(shoot: Shoot): number {
  return shootWorkerPools(shoot).reduce((sum, pool) => sum + pool.minimum, 0);
}

/** The Worker's pools from the shoot's `spec.provider.workers`. */
function shootWorkerPools(shoot: Shoot): WorkerPool[] {
  const shootVersion = shoot.spec.kubernetes?.version;
  return (shoot.spec.provider?.workers ?? []).map((w) => ({
    name: w.name,
    machineType: w.machine?.type ?? 'local',
    minimum: w.minimum ?? 0,
    maximum: w.maximum ?? w.minimum ?? 0,
    ...(w.maxSurge !== undefined ? { maxSurge: w.maxSurge } : {}),
    ...(w.maxUnavailable !== undefined ? { maxUnavailable: w.maxUnavailable } : {}),
    ...(w.labels ? { labels: w.labels } : {}),
    ...(w.zones ? { zones: w.zones } : {}),
    ...kubernetesVersion(w.kubernetes?.version ?? shootVersion),
  }));
}

function kubernetesVersion(version: string | undefined): { kubernetesVersion?: string } {
  return version ? { kubernetesVersion: version } : {};
}
