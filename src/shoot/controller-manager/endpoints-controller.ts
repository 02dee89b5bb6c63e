/**
 * The endpoints controller of kube-controller-manager (k8s pkg/controller/endpoint): every Service
 * with a selector has an Endpoints object of its name listing the pods it selects — ready ones
 * under `addresses`, the others under `notReadyAddresses` (all of them under `addresses` with
 * `publishNotReadyAddresses`) — grouped into subsets of the same ports (RepackSubsets). A Service
 * without a selector keeps whatever Endpoints its owner writes (the API server's own `kubernetes`
 * Service among them); a deleted Service's Endpoints go, and so do Endpoints without a Service.
 */

import { isPodReady, podResource } from '../../api/core/pod.js';
import { endpointsResource, serviceResource } from '../../api/core/service.js';
import { isAlreadyExists } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { semanticEqual } from '../../api/validation.js';
import type { Client } from '../../client/client.js';
import { Controller, keyOf, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import type { Lister } from '../../controller/shared-informers.js';
import type { ControllerContext } from './controller-manager.js';
import {
  backingPods,
  type EndpointPort,
  endpointPorts,
  HEADLESS_LABEL,
  isHeadless,
  podHostname,
  podIPOf,
  podNodeName,
  podReference,
  selectsPods,
  serviceSpecOf,
  servicesOfNamespace,
} from './service-endpoints.js';

/** The annotation of an Endpoints object used as a leader-election lock (client-go resourcelock). */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: Record<string, string>;
}

interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

function portsKey(ports: readonly EndpointPort[]): string {
  return JSON.stringify(
    [...ports].sort((a, b) => `${a.name}/${a.port}/${a.protocol}`.localeCompare(`${b.name}/${b.port}/${b.protocol}`)),
  );
}

/** The subsets of `service`: one per set of ports, addresses sorted by IP (the pods' order, else arbitrary). */
export function endpointSubsets(service: KubeObject, pods: Lister): EndpointSubset[] {
  const publishNotReady = serviceSpecOf(service).publishNotReadyAddresses === true;
  const headlessWithoutPorts = isHeadless(service) && (serviceSpecOf(service).ports ?? []).length === 0;
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of backingPods(service, pods, false)) {
    const ports = endpointPorts(service, pod);
    // A pod that exposes none of the Service's ports is no endpoint of it (but of a headless one without ports).
    if (ports.length === 0 && !headlessWithoutPorts) continue;
    const hostname = podHostname(service, pod);
    const nodeName = podNodeName(pod);
    const address: EndpointAddress = {
      ip: podIPOf(pod) ?? '',
      ...(hostname ? { hostname } : {}),
      ...(nodeName ? { nodeName } : {}),
      targetRef: podReference(pod),
    };
    const key = portsKey(ports);
    const group = groups.get(key) ?? { ports, ready: [], notReady: [] };
    groups.set(key, group);
    (publishNotReady || isPodReady(pod) ? group.ready : group.notReady).push(address);
  }
  const byIP = (a: EndpointAddress, b: EndpointAddress) => a.ip.localeCompare(b.ip);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, group]) => ({
      ...(group.ready.length > 0 ? { addresses: group.ready.sort(byIP) } : {}),
      ...(group.notReady.length > 0 ? { notReadyAddresses: group.notReady.sort(byIP) } : {}),
      ...(group.ports.length > 0 ? { ports: group.ports } : {}),
    }));
}

function endpointsLabels(service: KubeObject): Record<string, string> {
  const labels = { ...(service.metadata.labels ?? {}) };
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export class EndpointsReconciler implements Reconciler {
  readonly #client: Client;
  readonly #services: Lister;
  readonly #pods: Lister;
  readonly #endpoints: Lister;
  readonly #synced: () => Promise<void>;

  /** `synced` resolves once every lister holds its first list: before, a missing pod is not yet known. */
  constructor(
    client: Client,
    listers: { services: Lister; pods: Lister; endpoints: Lister },
    synced: () => Promise<void>,
  ) {
    this.#client = client;
    this.#synced = synced;
    this.#services = listers.services;
    this.#pods = listers.pods;
    this.#endpoints = listers.endpoints;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#synced();
    const endpoints = this.#client.resource(endpointsResource);
    const service = this.#services.get(key.namespace, key.name);
    if (!service) {
      // Gone: its Endpoints go too (Endpoints carry no owner reference the collector could follow);
      // as in Kubernetes, so do Endpoints of no Service found at the start — but a leader-election record.
      const leftover = this.#endpoints.get(key.namespace, key.name);
      if (leftover && !leftover.metadata.annotations?.[LEADER_ANNOTATION]) {
        await endpoints.deleteIfPresent(key.namespace, key.name, {
          preconditions: { uid: leftover.metadata.uid ?? '' },
        });
      }
      return {};
    }
    if (!selectsPods(service) || service.metadata.deletionTimestamp) return {};
    const subsets = endpointSubsets(service, this.#pods);
    const labels = endpointsLabels(service);
    const current = this.#endpoints.get(key.namespace, key.name);
    if (
      current &&
      semanticEqual(current.subsets ?? [], subsets) &&
      semanticEqual(current.metadata.labels ?? {}, labels)
    )
      return {};
    if (!current) {
      try {
        await endpoints.create(key.namespace, {
          metadata: { name: key.name, namespace: key.namespace, labels },
          subsets,
        });
      } catch (err) {
        // Created meanwhile (the cache lags): the next look updates it.
        if (!isAlreadyExists(err)) throw err;
      }
      return {};
    }
    // The cached resourceVersion is a precondition: a stale cache gets a conflict and a retry.
    await endpoints.update(key.namespace, { ...current, metadata: { ...current.metadata, labels }, subsets });
    return {};
  }
}

/** The controller: Services; a pod's change wakes the Services of its namespace, an Endpoints' change its Service. */
export function endpointsController({ client, informers, logger }: ControllerContext): Controller {
  const services = informers.lister(serviceResource);
  return new Controller({
    name: 'endpoints',
    source: informers.source(serviceResource),
    watches: [
      { source: informers.source(podResource), map: (pod) => servicesOfNamespace(services, pod) },
      { source: informers.source(endpointsResource), map: (endpoints) => [keyOf(endpoints)] },
    ],
    reconciler: new EndpointsReconciler(
      client,
      {
        services,
        pods: informers.lister(podResource),
        endpoints: informers.lister(endpointsResource),
      },
      () => informers.syncedAll([serviceResource, podResource, endpointsResource]),
    ),
    logger,
  });
}
