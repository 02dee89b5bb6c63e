/**
 * What the Endpoints and EndpointSlice controllers share: which pods back a Service (those its
 * selector matches that have an IP and still run: k8s endpointutil.ShouldPodBeInEndpoints), and
 * the port a Service port reaches on one pod (podutil.FindPort: a number as it is, a name through
 * the pod's named container ports of the same protocol).
 */
import { isPodTerminal } from '../../api/core/pod.js';
import type { ServicePort, ServiceSpec } from '../../api/core/service.js';
import type { KubeObject } from '../../api/meta.js';
import type { ObjectKey } from '../../controller/controller.js';
import type { Lister } from '../../controller/shared-informers.js';
import { recordsAt, specOf, statusOf } from './object-views.js';

/** The endpoint port a Service port becomes on a pod. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export function serviceSpecOf(service: KubeObject): ServiceSpec {
  return specOf(service) as ServiceSpec;
}

/**
 * A Service whose pods the controllers look for: it has a selector. An empty one counts as none,
 * as in Kubernetes, where it is not even stored (`omitempty`).
 */
export function selectsPods(service: KubeObject): boolean {
  const { selector, type } = serviceSpecOf(service);
  return type !== 'ExternalName' && selector !== undefined && selector !== null && Object.keys(selector).length > 0;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** The pod's IP, or undefined before it has one. */
export function podIPOf(pod: KubeObject): string | undefined {
  const ip = statusOf(pod).podIP;
  return typeof ip === 'string' && ip !== '' ? ip : undefined;
}

/**
 * The pods that back `service`, by name: selected, with an IP, not Succeeded or Failed, and —
 * unless `includeTerminating` — not being deleted.
 */
export function backingPods(service: KubeObject, pods: Lister, includeTerminating: boolean): KubeObject[] {
  const selector = serviceSpecOf(service).selector ?? {};
  return pods
    .list(service.metadata.namespace ?? '')
    .filter((pod) => matches(selector, pod.metadata.labels))
    .filter((pod) => podIPOf(pod) !== undefined && !isPodTerminal(pod))
    .filter((pod) => includeTerminating || !pod.metadata.deletionTimestamp)
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** The port `servicePort` reaches on `pod`, or undefined when a named target port is not among the pod's. */
export function findPort(pod: KubeObject, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol ?? 'TCP';
  for (const container of recordsAt(specOf(pod), 'containers')) {
    for (const port of recordsAt(container, 'ports')) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol && typeof port.containerPort === 'number') {
        return port.containerPort;
      }
    }
  }
  return undefined;
}

/** The endpoint ports of `service` on `pod`: those it can resolve, in the Service's order. */
export function endpointPorts(service: KubeObject, pod: KubeObject): EndpointPort[] {
  return (serviceSpecOf(service).ports ?? []).flatMap((servicePort) => {
    const port = findPort(pod, servicePort);
    if (port === undefined) return [];
    const appProtocol = (servicePort as { appProtocol?: unknown }).appProtocol;
    return [
      {
        ...(servicePort.name !== undefined ? { name: servicePort.name } : {}),
        port,
        protocol: servicePort.protocol ?? 'TCP',
        ...(typeof appProtocol === 'string' ? { appProtocol } : {}),
      },
    ];
  });
}

/** The reference an endpoint carries to its pod. */
export function podReference(pod: KubeObject): Record<string, string> {
  return {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
  };
}

/** The pod's hostname in the Service's DNS, when it names one and its subdomain is the Service. */
export function podHostname(service: KubeObject, pod: KubeObject): string | undefined {
  const spec = specOf(pod);
  return typeof spec.hostname === 'string' && spec.subdomain === service.metadata.name ? spec.hostname : undefined;
}

export function podNodeName(pod: KubeObject): string | undefined {
  const node = specOf(pod).nodeName;
  return typeof node === 'string' && node !== '' ? node : undefined;
}

/** `service.kubernetes.io/headless`, on what belongs to a Service without a cluster IP. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export function isHeadless(service: KubeObject): boolean {
  return serviceSpecOf(service).clusterIP === 'None';
}

/**
 * The Services a pod's change may concern: every one of its namespace that selects pods (its old
 * labels are not known here, so Services it no longer matches are among them).
 */
export function servicesOfNamespace(services: Lister, pod: KubeObject): ObjectKey[] {
  const namespace = pod.metadata.namespace ?? '';
  return services
    .list(namespace)
    .filter(selectsPods)
    .map((service) => ({ namespace, name: service.metadata.name ?? '' }));
}
