/**
 * The EndpointSlice controller of kube-controller-manager (k8s pkg/controller/endpointslice): the
 * pods a Service selects, as EndpointSlices labelled `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`, owned by the Service
 * (they go with it). Each endpoint carries the conditions `ready` (Ready and not terminating, or
 * the Service publishes not-ready addresses), `serving` (Ready) and `terminating`. Pods with the
 * same resolved ports and address type share slices of at most 100 endpoints; a Service without
 * endpoints has one empty placeholder slice, as in Kubernetes.
 *
 * Slices are named by the server (`<service>-<random>`): what this controller created or changed
 * is expected (src/controller/expectations.ts) and the Service waits until its cache shows it, so
 * a lagging cache never makes a second slice.
 */

import { isPodReady, podResource } from '../../api/core/pod.js';
import { serviceResource } from '../../api/core/service.js';
import { endpointSliceResource } from '../../api/discovery/endpoint-slice.js';
import { controllerReference, type KubeObject } from '../../api/meta.js';
import { semanticEqual } from '../../api/validation.js';
import type { Client } from '../../client/client.js';
import { Controller, type ObjectKey, type Reconciler, type Result } from '../../controller/controller.js';
import { Expectations } from '../../controller/expectations.js';
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

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** `--max-endpoints-per-slice`'s default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef: Record<string, string>;
}

/** One slice's content. */
export interface DesiredSlice {
  addressType: 'IPv4' | 'IPv6';
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

function groupKey(addressType: string, ports: readonly EndpointPort[]): string {
  return `${addressType} ${JSON.stringify(ports)}`;
}

function sliceKey(slice: KubeObject): string {
  return groupKey(String(slice.addressType), Array.isArray(slice.ports) ? (slice.ports as EndpointPort[]) : []);
}

/** The slices `service` should have: its endpoints grouped by address type and ports, in chunks. */
export function desiredSlices(service: KubeObject, pods: Lister): DesiredSlice[] {
  const publishNotReady = serviceSpecOf(service).publishNotReadyAddresses === true;
  const groups = new Map<string, DesiredSlice>();
  for (const pod of backingPods(service, pods, true)) {
    const ip = podIPOf(pod) ?? '';
    const addressType = ip.includes(':') ? 'IPv6' : 'IPv4';
    const ports = endpointPorts(service, pod);
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    const serving = isPodReady(pod);
    const hostname = podHostname(service, pod);
    const nodeName = podNodeName(pod);
    const key = groupKey(addressType, ports);
    const group = groups.get(key) ?? { addressType, ports, endpoints: [] };
    groups.set(key, group);
    group.endpoints.push({
      addresses: [ip],
      conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      ...(hostname ? { hostname } : {}),
      ...(nodeName ? { nodeName } : {}),
      targetRef: podReference(pod),
    });
  }
  const slices: DesiredSlice[] = [];
  for (const [, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    for (let i = 0; i < group.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
      slices.push({ ...group, endpoints: group.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
    }
  }
  // No endpoints: one placeholder, so that readers see the Service is handled.
  return slices.length > 0 ? slices : [{ addressType: 'IPv4', ports: [], endpoints: [] }];
}

function sliceLabels(service: KubeObject): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
  delete labels[HEADLESS_LABEL];
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = service.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = MANAGED_BY;
  return labels;
}

export class EndpointSliceReconciler implements Reconciler {
  readonly #client: Client;
  readonly #services: Lister;
  readonly #pods: Lister;
  readonly #slices: Lister;
  readonly #synced: () => Promise<void>;
  readonly #expectations = new Expectations();

  /** `synced` resolves once every lister holds its first list. */
  constructor(
    client: Client,
    listers: { services: Lister; pods: Lister; slices: Lister },
    synced: () => Promise<void>,
  ) {
    this.#client = client;
    this.#services = listers.services;
    this.#pods = listers.pods;
    this.#slices = listers.slices;
    this.#synced = synced;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    await this.#synced();
    const id = `${key.namespace}/${key.name}`;
    const service = this.#services.get(key.namespace, key.name);
    // Gone: its slices go with it (the garbage collector follows their owner reference).
    if (!service || service.metadata.deletionTimestamp || !selectsPods(service)) {
      this.#expectations.forget(id);
      return {};
    }
    // The slices' events wake the Service again once the cache shows the last writes.
    if (!this.#expectations.satisfied(id)) return { requeueAfterMs: 1_000 };

    const slices = this.#client.resource(endpointSliceResource);
    const labels = sliceLabels(service);
    const existing = this.#slices
      .list(key.namespace)
      .filter(
        (s) =>
          s.metadata.labels?.[SERVICE_NAME_LABEL] === key.name && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY,
      )
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    const unused = [...existing];
    const owner = controllerReference({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata }, true);
    for (const want of desiredSlices(service, this.#pods)) {
      const index = unused.findIndex((s) => sliceKey(s) === groupKey(want.addressType, want.ports));
      const current = index >= 0 ? unused.splice(index, 1)[0] : undefined;
      if (!current) {
        const created = await slices.create(key.namespace, {
          metadata: { generateName: `${key.name}-`, namespace: key.namespace, labels, ownerReferences: [owner] },
          ...want,
        });
        this.#expectations.expect(id, () => this.#slices.get(key.namespace, created.metadata.name ?? '') !== undefined);
        continue;
      }
      if (semanticEqual(current.endpoints ?? [], want.endpoints) && semanticEqual(current.metadata.labels, labels))
        continue;
      const before = current.metadata.resourceVersion;
      await slices.update(key.namespace, { ...current, metadata: { ...current.metadata, labels }, ...want });
      this.#expectations.expect(
        id,
        () => this.#slices.get(key.namespace, current.metadata.name ?? '')?.metadata.resourceVersion !== before,
      );
    }
    for (const surplus of unused) {
      await slices.deleteIfPresent(key.namespace, surplus.metadata.name ?? '', {
        preconditions: { uid: surplus.metadata.uid ?? '' },
      });
      this.#expectations.expect(id, () => this.#slices.get(key.namespace, surplus.metadata.name ?? '') === undefined);
    }
    return {};
  }
}

/** The Service of a slice this controller manages. */
function serviceOfSlice(slice: KubeObject): ObjectKey[] {
  const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!name || slice.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return [];
  return [{ namespace: slice.metadata.namespace ?? '', name }];
}

/** The controller: Services; a pod's change wakes the Services of its namespace, a slice's its Service. */
export function endpointSliceController({ client, informers, logger }: ControllerContext): Controller {
  const services = informers.lister(serviceResource);
  return new Controller({
    name: 'endpointslice',
    source: informers.source(serviceResource),
    watches: [
      { source: informers.source(podResource), map: (pod) => servicesOfNamespace(services, pod) },
      { source: informers.source(endpointSliceResource), map: serviceOfSlice },
    ],
    reconciler: new EndpointSliceReconciler(
      client,
      { services, pods: informers.lister(podResource), slices: informers.lister(endpointSliceResource) },
      () => informers.syncedAll([serviceResource, podResource, endpointSliceResource]),
    ),
    logger,
  });
}
