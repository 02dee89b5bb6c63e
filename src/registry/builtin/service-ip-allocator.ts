/**
 * Cluster IPs and node ports of Services (k8s registry/core/service/ipallocator and
 * portallocator): a Service without a cluster IP gets a free one of the service CIDR
 * (10.0.0.0/16 unless the server says otherwise; the first address is the `kubernetes`
 * service's, as in Kubernetes), one asking for an address gets it if it is in the range and
 * free, `None` (headless) and ExternalName get none; NodePort and LoadBalancer ports get free
 * node ports of 30000–32767 the same way.
 *
 * Kubernetes keeps a bitmap of allocations in etcd; here the Services themselves are the record:
 * an allocation lists them, and the addresses handed out but not yet stored are remembered for a
 * minute, allocations being serialised. One API server writes a shoot's etcd at a time (the
 * store is fenced on a move), so that is enough to keep addresses unique per shoot.
 */
import { randomInt } from 'node:crypto';
import { NODE_PORT_RANGE, type ServiceSpec, usesNodePorts } from '../../api/core/service.js';
import { FieldError, invalid } from '../../api/errors.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../../apiserver/types.js';

export const DEFAULT_SERVICE_CIDR = '10.0.0.0/16';

/** How long an address handed out stays reserved before the Service holding it must be in the list. */
const pendingMs = 60_000;

interface Range {
  base: number;
  size: number;
  cidr: string;
}

function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function parseCidr(cidr: string): Range {
  const [ip, bits] = cidr.split('/');
  const base = parseIPv4(ip ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new TypeError(`service CIDR ${cidr} is not an IPv4 CIDR between /8 and /30`);
  }
  const size = 2 ** (32 - prefix);
  return { base: base - (base % size), size, cidr };
}

/** The `kubernetes` service's address: the first of the range. */
export function kubernetesServiceIP(cidr: string = DEFAULT_SERVICE_CIDR): string {
  return formatIPv4(parseCidr(cidr).base + 1);
}

export interface ServiceAllocatorOptions {
  /** Every Service the server holds now. */
  listServices(): Promise<KubeObject[]>;
  serviceCidr?: string;
}

export class ServiceAllocator implements AdmissionPlugin {
  readonly name = 'ServiceIPAllocator';
  readonly #range: Range;
  readonly #list: () => Promise<KubeObject[]>;
  /** Handed out, not yet seen stored: value → when. */
  readonly #pending = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ServiceAllocatorOptions) {
    this.#range = parseCidr(options.serviceCidr ?? DEFAULT_SERVICE_CIDR);
    this.#list = options.listServices;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE';
  }

  admit(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.kind.group !== '' || attrs.resource !== 'services' || attrs.subresource !== '') return Promise.resolve();
    const run = this.#queue.then(() => this.#allocate(attrs));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #allocate(attrs: AdmissionAttributes): Promise<void> {
    const spec = (isRecord(attrs.object.spec) ? attrs.object.spec : {}) as ServiceSpec;
    const old = (isRecord(attrs.oldObject?.spec) ? attrs.oldObject.spec : {}) as ServiceSpec;
    const kept = Boolean(spec.clusterIP) && spec.clusterIP === old.clusterIP;
    const needsIP = spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && !kept;
    const needsPorts = usesNodePorts(spec) && (spec.ports ?? []).some((p) => !nodePortOf(old, p));
    if (!needsIP && !needsPorts) return;
    const used = await this.#used(attrs.namespace, attrs.name);
    const errs: FieldError[] = [];
    if (needsIP) errs.push(...this.#assignIP(spec, used.ips, attrs.dryRun));
    if (needsPorts) errs.push(...this.#assignPorts(spec, old, used.ports, attrs.dryRun));
    if (errs.length > 0) throw invalid({ group: '', kind: 'Service' }, attrs.name, errs);
  }

  /**
   * Addresses and node ports of the other Services, and those handed out recently. A Service of
   * the same name is this one (an update), or one a create will find already exists.
   */
  async #used(namespace: string, name: string): Promise<{ ips: Set<string>; ports: Set<number> }> {
    const ips = new Set<string>();
    const ports = new Set<number>();
    const now = Date.now();
    for (const [value, at] of this.#pending) {
      if (now - at > pendingMs) this.#pending.delete(value);
      else if (value.startsWith('port:')) ports.add(Number(value.slice(5)));
      else ips.add(value);
    }
    for (const service of await this.#list()) {
      if (service.metadata.namespace === namespace && service.metadata.name === name) continue;
      const spec = (isRecord(service.spec) ? service.spec : {}) as ServiceSpec;
      for (const ip of [spec.clusterIP, ...(spec.clusterIPs ?? [])]) if (ip) ips.add(ip);
      for (const port of spec.ports ?? []) if (port.nodePort) ports.add(port.nodePort);
    }
    return { ips, ports };
  }

  #assignIP(spec: ServiceSpec, used: Set<string>, dryRun: boolean): FieldError[] {
    const wanted = spec.clusterIP;
    if (wanted) {
      const n = parseIPv4(wanted);
      const problem =
        n === undefined || n <= this.#range.base || n >= this.#range.base + this.#range.size - 1
          ? `the provided IP (${wanted}) is not in the valid range. The range of valid IPs is ${this.#range.cidr}`
          : used.has(wanted)
            ? 'provided IP is already allocated'
            : undefined;
      if (problem)
        return [FieldError.invalid('spec.clusterIPs', [wanted], `failed to allocate IP ${wanted}: ${problem}`)];
    } else {
      const ip = this.#freeIP(used);
      if (!ip) return [FieldError.invalid('spec.clusterIPs', [], `failed to allocate a serviceIP: range is full`)];
      spec.clusterIP = ip;
    }
    spec.clusterIPs = [spec.clusterIP!];
    if (!dryRun) this.#pending.set(spec.clusterIP!, Date.now());
    return [];
  }

  /** A random free address past the first (the `kubernetes` service's), or a scan when the dice fail. */
  #freeIP(used: Set<string>): string | undefined {
    const { base, size } = this.#range;
    for (let attempt = 0; attempt < 32; attempt++) {
      const ip = formatIPv4(base + randomInt(2, size - 1));
      if (!used.has(ip)) return ip;
    }
    for (let offset = 2; offset < size - 1; offset++) {
      const ip = formatIPv4(base + offset);
      if (!used.has(ip)) return ip;
    }
    return undefined;
  }

  #assignPorts(spec: ServiceSpec, old: ServiceSpec, used: Set<number>, dryRun: boolean): FieldError[] {
    const errs: FieldError[] = [];
    (spec.ports ?? []).forEach((port, i) => {
      if (port.nodePort && port.nodePort === nodePortOf(old, port)) return;
      if (port.nodePort) {
        if (used.has(port.nodePort)) {
          errs.push(
            FieldError.invalid(`spec.ports[${i}].nodePort`, port.nodePort, 'provided port is already allocated'),
          );
          return;
        }
      } else {
        const free = freePort(used);
        if (free === undefined) {
          errs.push(FieldError.invalid(`spec.ports[${i}].nodePort`, 0, 'failed to allocate a nodePort: range is full'));
          return;
        }
        port.nodePort = free;
      }
      used.add(port.nodePort);
      if (!dryRun) this.#pending.set(`port:${port.nodePort}`, Date.now());
    });
    return errs;
  }
}

function nodePortOf(spec: ServiceSpec, port: { port?: number; protocol?: string }): number | undefined {
  return (spec.ports ?? []).find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'))
    ?.nodePort;
}

function freePort(used: Set<number>): number | undefined {
  const { min, max } = NODE_PORT_RANGE;
  for (let attempt = 0; attempt < 32; attempt++) {
    const port = randomInt(min, max + 1);
    if (!used.has(port)) return port;
  }
  for (let port = min; port <= max; port++) if (!used.has(port)) return port;
  return undefined;
}
