/**
 * The shoot's Worker (`<shoot>`): its pools from `spec.provider.workers` (Gardener's field names),
 * each with the shoot's Kubernetes version unless the pool sets its own, and where the machines'
 * node agents reach the control plane (the stable API URL and the vpn-seed-server).
 */
import { pathString } from '../../../api/core-gardener/common.js';
import { workerResource } from '../../../api/extensions/worker.js';
import { isRecord, type KubeObject } from '../../../api/meta.js';
import { WORKER_CONFIG_KIND } from '../../extensions/worker-actuator.js';
import { type ExtensionKind, localProviderSpec } from './extension.js';

export const worker: ExtensionKind = {
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
    },
  }),
};

/** The nodes the worker pools ask for: the sum of their minimums. */
export function nodesWanted(shoot: KubeObject): number {
  return shootWorkerPools(shoot).reduce((sum, pool) => sum + (Number(pool.minimum) || 0), 0);
}

/** The Worker's pools from the shoot's `spec.provider.workers`. */
function shootWorkerPools(shoot: KubeObject): Record<string, unknown>[] {
  const provider = isRecord(shoot.spec) && isRecord(shoot.spec.provider) ? shoot.spec.provider : {};
  const workers = Array.isArray(provider.workers) ? provider.workers.filter(isRecord) : [];
  const shootVersion = pathString(shoot, 'spec.kubernetes.version');
  return workers.map((w) => ({
    name: w.name,
    machineType: isRecord(w.machine) && typeof w.machine.type === 'string' ? w.machine.type : 'local',
    minimum: w.minimum ?? 0,
    maximum: w.maximum ?? w.minimum ?? 0,
    ...(w.maxSurge !== undefined ? { maxSurge: w.maxSurge } : {}),
    ...(w.maxUnavailable !== undefined ? { maxUnavailable: w.maxUnavailable } : {}),
    ...(isRecord(w.labels) ? { labels: w.labels } : {}),
    ...(Array.isArray(w.zones) ? { zones: w.zones } : {}),
    ...kubernetesVersion(pathString(w, 'kubernetes.version') ?? shootVersion),
  }));
}

function kubernetesVersion(version: string | undefined): { kubernetesVersion?: string } {
  return version ? { kubernetesVersion: version } : {};
}
