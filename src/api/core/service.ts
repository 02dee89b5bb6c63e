/**
 * Service (v1, namespaced) as the API server treats it (core/v1 SetDefaults_Service, the
 * service REST storage, ValidateService): type ClusterIP, sessionAffinity None, ports TCP with
 * targetPort = port, single-stack IPv4, traffic policies Cluster; ports given (unless headless
 * or ExternalName), named when there are several, in range; a cluster IP that is a valid address,
 * `None`, or left to the allocator (src/registry/builtin/service-ip-allocator.ts), and that
 * never changes once set. The cells of `kubectl get services` are here too.
 */
import { FieldError } from '../errors.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { isDns1123Label, isDns1123Subdomain, validateLabels } from '../validation.js';
import { portNameErrors, portNumberError } from './pod-spec.js';

export const serviceResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  namespaced: true,
});

/** Endpoints (v1, namespaced): a Service's ready and not-ready addresses, written by its controller. */
export const endpointsResource = resourceRef({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  namespaced: true,
});

export interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  selector?: Record<string, string>;
  externalName?: string;
  externalIPs?: string[];
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  allocateLoadBalancerNodePorts?: boolean;
  [field: string]: unknown;
}

/** The node port range of a default kube-apiserver (`--service-node-port-range`). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

export function serviceSpec(obj: KubeObject): ServiceSpec {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as ServiceSpec;
}

export const usesNodePorts = (spec: ServiceSpec): boolean => spec.type === 'NodePort' || spec.type === 'LoadBalancer';

const unset = (value: unknown): boolean => value === undefined || value === null;

export function defaultService(obj: KubeObject): void {
  const spec = serviceSpec(obj);
  if (unset(spec.type)) spec.type = 'ClusterIP';
  if (unset(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const config = isRecord(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : {};
    const clientIP = isRecord(config.clientIP) ? config.clientIP : {};
    clientIP.timeoutSeconds ??= 10800;
    spec.sessionAffinityConfig = { ...config, clientIP };
  }
  for (const port of spec.ports ?? []) {
    if (!isRecord(port)) continue;
    if (unset(port.protocol)) port.protocol = 'TCP';
    if (unset(port.targetPort) || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (spec.type !== 'ExternalName') {
    if (unset(spec.internalTrafficPolicy)) spec.internalTrafficPolicy = 'Cluster';
    if (unset(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = 'SingleStack';
    if (unset(spec.ipFamilies)) spec.ipFamilies = ['IPv4'];
  }
  if (usesNodePorts(spec) && unset(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && unset(spec.allocateLoadBalancerNodePorts)) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  if (spec.clusterIP && unset(spec.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
}

/** A new service's status: no load balancer yet. */
export function initialServiceStatus(obj: KubeObject): void {
  obj.status = { loadBalancer: {} };
}

const ipv4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** An IPv4 or IPv6 address (k8s IsValidIP). */
export function isIP(value: string): boolean {
  if (ipv4.test(value)) return true;
  return value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value) && value.split('::').length <= 2;
}

function portErrors(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && !port.name) errs.push(FieldError.required(`${at}.name`));
    if (port.name) {
      for (const m of isDns1123Label(port.name)) errs.push(FieldError.invalid(`${at}.name`, port.name, m));
      if (names.has(port.name)) errs.push(FieldError.duplicate(`${at}.name`, port.name));
      names.add(port.name);
    }
    if (unset(port.port)) errs.push(FieldError.required(`${at}.port`));
    else {
      const bad = portNumberError(`${at}.port`, port.port!);
      if (bad) errs.push(bad);
    }
    if (typeof port.targetPort === 'number') {
      const bad = portNumberError(`${at}.targetPort`, port.targetPort);
      if (bad) errs.push(bad);
    } else if (typeof port.targetPort === 'string') {
      for (const m of portNameErrors(port.targetPort))
        errs.push(FieldError.invalid(`${at}.targetPort`, port.targetPort, m));
    }
    if (!unset(port.nodePort) && port.nodePort !== 0) {
      if (!usesNodePorts(spec)) {
        errs.push(FieldError.forbidden(`${at}.nodePort`, `may not be used when \`type\` is '${spec.type}'`));
      } else if (port.nodePort! < NODE_PORT_RANGE.min || port.nodePort! > NODE_PORT_RANGE.max) {
        errs.push(
          FieldError.invalid(
            `${at}.nodePort`,
            port.nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
          ),
        );
      }
    }
    const key = `${port.port}/${port.protocol ?? 'TCP'}`;
    if (seen.has(key)) errs.push(FieldError.duplicate(at, key));
    seen.add(key);
  });
  return errs;
}

export function validateService(obj: KubeObject): FieldError[] {
  const spec = serviceSpec(obj);
  const errs: FieldError[] = [];
  const headless = spec.clusterIP === 'None';
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.push(FieldError.required('spec.externalName'));
    else
      for (const m of isDns1123Subdomain(spec.externalName))
        errs.push(FieldError.invalid('spec.externalName', spec.externalName, m));
    if (spec.clusterIP) {
      errs.push(FieldError.forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
    }
  } else if ((spec.ports ?? []).length === 0 && !headless) {
    errs.push(FieldError.required('spec.ports'));
  }
  if (spec.clusterIP && !headless && !isIP(spec.clusterIP)) {
    errs.push(
      FieldError.invalid(
        'spec.clusterIPs[0]',
        spec.clusterIP,
        'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ),
    );
  }
  if (headless && usesNodePorts(spec)) {
    errs.push(FieldError.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${spec.type} services`));
  }
  if (spec.clusterIPs?.[0] !== undefined && spec.clusterIP !== undefined && spec.clusterIPs[0] !== spec.clusterIP) {
    errs.push(
      FieldError.invalid(
        'spec.clusterIPs',
        spec.clusterIPs,
        'must be empty or the first value must match spec.clusterIP',
      ),
    );
  }
  errs.push(...portErrors(spec));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  return errs;
}

/**
 * On update the cluster IP and node ports a client left out stay as allocated, as Kubernetes'
 * PrepareForUpdate keeps them (a `kubectl replace` of a manifest without them changes nothing).
 */
export function keepAllocatedValues(obj: KubeObject, old: KubeObject): void {
  const spec = serviceSpec(obj);
  const before = serviceSpec(old);
  if (spec.type === 'ExternalName' || before.type === 'ExternalName') return;
  if (!spec.clusterIP && before.clusterIP) {
    spec.clusterIP = before.clusterIP;
    spec.clusterIPs = before.clusterIPs ?? [before.clusterIP];
  }
  if (usesNodePorts(spec) && usesNodePorts(before)) {
    for (const port of spec.ports ?? []) {
      if (port.nodePort) continue;
      const same = (before.ports ?? []).find(
        (p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
      );
      if (same?.nodePort) port.nodePort = same.nodePort;
    }
  }
}

export function validateServiceUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateService(obj);
  const spec = serviceSpec(obj);
  const before = serviceSpec(old);
  if (spec.type !== 'ExternalName' && before.clusterIP && spec.clusterIP !== before.clusterIP) {
    errs.push(FieldError.invalid('spec.clusterIPs[0]', spec.clusterIP ?? '', 'may not change once set'));
  }
  return errs;
}

/** EXTERNAL-IP as kubectl prints it. */
export function serviceExternalIP(obj: KubeObject): string {
  const spec = serviceSpec(obj);
  const external = spec.externalIPs ?? [];
  if (spec.type === 'ExternalName') return spec.externalName ?? '<none>';
  if (spec.type === 'LoadBalancer') {
    const status = isRecord(obj.status) && isRecord(obj.status.loadBalancer) ? obj.status.loadBalancer : {};
    const ingress = Array.isArray(status.ingress) ? (status.ingress as { ip?: string; hostname?: string }[]) : [];
    const all = [...ingress.map((i) => i.ip || i.hostname || ''), ...external].filter(Boolean);
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return external.length > 0 ? external.join(',') : '<none>';
}

/** PORT(S): `80/TCP`, `80:30080/TCP` with a node port, comma-separated. */
export function servicePorts(obj: KubeObject): string {
  const ports = serviceSpec(obj).ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

/** `a=b,c=d` of a label map, keys sorted, or <none>. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length > 0 ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}
