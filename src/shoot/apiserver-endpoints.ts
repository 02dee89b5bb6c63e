/**
 * The endpoints of the `default/kubernetes` Service, which the API server keeps itself (k8s
 * pkg/controlplane/reconcilers): Endpoints and an EndpointSlice `kubernetes` naming the address
 * and port it serves on, written at every start — after a move to another seed they name the new
 * server. The Service has no selector, so the endpoints controllers of kube-controller-manager
 * leave them alone; `endpointslice.kubernetes.io/skip-mirror` keeps them from being mirrored.
 */

import { isIP } from 'node:net';
import { endpointsResource } from '../api/core/service.js';
import { endpointSliceResource } from '../api/discovery/endpoint-slice.js';
import { semanticEqual } from '../api/validation.js';
import type { Client } from '../client/client.js';

const NAMESPACE = 'default';
const NAME = 'kubernetes';

/** Writes (or corrects) the endpoints of `default/kubernetes`; a `host` that is no IP address gets none. */
export async function writeApiServerEndpoints(client: Client, host: string, port: number): Promise<void> {
  const family = isIP(host);
  if (family === 0) return;
  const endpoints = {
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: host }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  };
  const slice = {
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': NAME } },
    addressType: family === 6 ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [host], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
  for (const [resource, desired] of [
    [endpointsResource, endpoints],
    [endpointSliceResource, slice],
  ] as const) {
    const objects = client.resource(resource);
    const current = await objects.find(NAMESPACE, NAME);
    if (!current) {
      await objects.createIfAbsent(NAMESPACE, desired);
      continue;
    }
    const { metadata, ...content } = desired;
    const changed =
      Object.entries(content).some(([field, value]) => !semanticEqual(current[field], value)) ||
      !semanticEqual(current.metadata.labels, metadata.labels);
    if (changed) {
      await objects.update(NAMESPACE, {
        ...current,
        ...content,
        metadata: { ...current.metadata, labels: metadata.labels },
      });
    }
  }
}
