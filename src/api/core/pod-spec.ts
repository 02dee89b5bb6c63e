/**
 * PodSpec, the part of a Pod that every workload's pod template carries too: Kubernetes'
 * defaults for it (core/v1 defaults.go: SetDefaults_PodSpec, _Container, _Probe, _Volume …) and
 * the checks users meet (core/validation: container names unique DNS labels, an image, ports in
 * range with unique names, volume mounts naming a volume, requests within limits, the restart
 * policies a controller allows). Objects arrive schema-checked (src/registry/builtin), so the
 * code only meets the right types here, though any field may be missing or null.
 */
import { FieldError } from '../errors.js';
import { isRecord } from '../meta.js';
import { parseQuantity } from '../quantity.js';
import { isDns1123Label, isDns1123Subdomain, validateLabels } from '../validation.js';

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
}

export interface Probe {
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  httpGet?: { scheme?: string };
}

export interface Container {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: ContainerPort[];
  volumeMounts?: { name?: string; mountPath?: string }[];
  env?: { name?: string; valueFrom?: { fieldRef?: { apiVersion?: string } } }[];
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

export interface Volume {
  name?: string;
  [source: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
  dnsPolicy?: string;
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  schedulerName?: string;
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  nodeName?: string;
  serviceAccountName?: string;
  serviceAccount?: string;
  hostname?: string;
  subdomain?: string;
  [field: string]: unknown;
}

const unset = (value: unknown): value is undefined | null => value === undefined || value === null;

/** The image pull policy Kubernetes defaults to: Always for `:latest` or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastSegment.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Probe | undefined): void {
  if (!probe || typeof probe !== 'object') return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (isRecord(probe.httpGet)) probe.httpGet.scheme ??= 'HTTP';
}

function defaultContainer(container: Container): void {
  if (!container || typeof container !== 'object') return;
  if (unset(container.terminationMessagePath)) container.terminationMessagePath = '/dev/termination-log';
  if (unset(container.terminationMessagePolicy)) container.terminationMessagePolicy = 'File';
  if (unset(container.imagePullPolicy)) container.imagePullPolicy = defaultPullPolicy(container.image);
  for (const port of container.ports ?? []) if (isRecord(port) && unset(port.protocol)) port.protocol = 'TCP';
  for (const env of container.env ?? []) {
    const fieldRef = env?.valueFrom?.fieldRef;
    if (isRecord(fieldRef) && unset(fieldRef.apiVersion)) fieldRef.apiVersion = 'v1';
  }
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
}

/** Volume sources whose files get mode 0644 (420) unless they say otherwise. */
const modedSources = ['secret', 'configMap', 'downwardAPI', 'projected'];

function defaultVolume(volume: Volume): void {
  if (!isRecord(volume)) return;
  const sources = Object.keys(volume).filter((k) => k !== 'name');
  if (sources.length === 0) volume.emptyDir = {};
  for (const source of modedSources) {
    const value = volume[source];
    if (isRecord(value) && unset(value.defaultMode)) value.defaultMode = 420;
  }
  if (isRecord(volume.hostPath) && unset(volume.hostPath.type)) volume.hostPath.type = '';
}

/** Kubernetes' defaults of a pod spec, in place (pods and pod templates alike). */
export function defaultPodSpec(spec: PodSpec): void {
  if (!spec || typeof spec !== 'object') return;
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (unset(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = 30;
  if (unset(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  if (unset(spec.securityContext)) spec.securityContext = {};
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) defaultContainer(container);
  for (const volume of spec.volumes ?? []) defaultVolume(volume);
}

/** IANA service names, as container and service port names must be (k8s IsValidPortName). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** A port number's problem (1–65535), or undefined. */
export function portNumberError(path: string, port: number): FieldError | undefined {
  return port >= 1 && port <= 65535
    ? undefined
    : FieldError.invalid(path, port, 'must be between 1 and 65535, inclusive');
}

function containerErrors(container: Container, path: string, volumes: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!container.name) errs.push(FieldError.required(`${path}.name`));
  else for (const m of isDns1123Label(container.name)) errs.push(FieldError.invalid(`${path}.name`, container.name, m));
  if (!container.image) errs.push(FieldError.required(`${path}.image`));
  else if (container.image.trim() !== container.image) {
    errs.push(FieldError.invalid(`${path}.image`, container.image, 'must not have leading or trailing whitespace'));
  }
  const portNames = new Set<string>();
  (container.ports ?? []).forEach((port, i) => {
    const at = `${path}.ports[${i}]`;
    if (unset(port.containerPort)) errs.push(FieldError.required(`${at}.containerPort`));
    else {
      const bad = portNumberError(`${at}.containerPort`, port.containerPort);
      if (bad) errs.push(bad);
    }
    if (!unset(port.hostPort) && port.hostPort !== 0) {
      const bad = portNumberError(`${at}.hostPort`, port.hostPort);
      if (bad) errs.push(bad);
    }
    if (port.name) {
      for (const m of portNameErrors(port.name)) errs.push(FieldError.invalid(`${at}.name`, port.name, m));
      if (portNames.has(port.name)) errs.push(FieldError.duplicate(`${at}.name`, port.name));
      portNames.add(port.name);
    }
  });
  (container.volumeMounts ?? []).forEach((mount, i) => {
    const at = `${path}.volumeMounts[${i}]`;
    if (!mount.name) errs.push(FieldError.required(`${at}.name`));
    else if (!volumes.has(mount.name)) errs.push(FieldError.notFound(`${at}.name`, mount.name));
    if (!mount.mountPath) errs.push(FieldError.required(`${at}.mountPath`));
  });
  (container.env ?? []).forEach((env, i) => {
    if (!env.name) errs.push(FieldError.required(`${path}.env[${i}].name`));
  });
  errs.push(...resourceErrors(container.resources, `${path}.resources`));
  return errs;
}

/** Each request a valid quantity no greater than its limit. */
function resourceErrors(resources: Container['resources'], path: string): FieldError[] {
  if (!isRecord(resources)) return [];
  const errs: FieldError[] = [];
  const limits = isRecord(resources.limits) ? resources.limits : {};
  const requests = isRecord(resources.requests) ? resources.requests : {};
  for (const [kind, map] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [name, value] of Object.entries(map)) {
      if (parseQuantity(value) === undefined || (parseQuantity(value) ?? 0) < 0) {
        errs.push(FieldError.invalid(`${path}.${kind}[${name}]`, value, 'must be a valid, non-negative quantity'));
      }
    }
  }
  for (const [name, request] of Object.entries(requests)) {
    const limit = parseQuantity(limits[name]);
    const wanted = parseQuantity(request);
    if (limit !== undefined && wanted !== undefined && wanted > limit) {
      errs.push(
        FieldError.invalid(
          `${path}.requests[${name}]`,
          request,
          `must be less than or equal to ${name} limit of ${String(limits[name])}`,
        ),
      );
    }
  }
  return errs;
}

export interface PodSpecRules {
  /** The restart policies the owner allows: Always for workloads, OnFailure and Never for Jobs. */
  restartPolicies: readonly string[];
}

/** A pod spec's problems; `path` is where it sits (`spec`, `spec.template.spec`). */
export function validatePodSpec(spec: PodSpec | undefined, path: string, rules: PodSpecRules): FieldError[] {
  if (!isRecord(spec)) return [FieldError.required(path)];
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((volume, i) => {
    const at = `${path}.volumes[${i}].name`;
    if (!volume.name) errs.push(FieldError.required(at));
    else {
      for (const m of isDns1123Label(volume.name)) errs.push(FieldError.invalid(at, volume.name, m));
      if (volumes.has(volume.name)) errs.push(FieldError.duplicate(at, volume.name));
      volumes.add(volume.name);
    }
  });
  const containers = spec.containers ?? [];
  if (containers.length === 0) errs.push(FieldError.required(`${path}.containers`));
  const names = new Set<string>();
  for (const [field, list] of [
    ['initContainers', spec.initContainers ?? []],
    ['containers', containers],
  ] as const) {
    list.forEach((container, i) => {
      const at = `${path}.${field}[${i}]`;
      errs.push(...containerErrors(container, at, volumes));
      if (container.name && names.has(container.name)) errs.push(FieldError.duplicate(`${at}.name`, container.name));
      if (container.name) names.add(container.name);
    });
  }
  if (spec.restartPolicy && !rules.restartPolicies.includes(spec.restartPolicy)) {
    errs.push(FieldError.notSupported(`${path}.restartPolicy`, spec.restartPolicy, rules.restartPolicies));
  }
  if (!unset(spec.activeDeadlineSeconds) && spec.activeDeadlineSeconds <= 0) {
    errs.push(
      FieldError.invalid(
        `${path}.activeDeadlineSeconds`,
        spec.activeDeadlineSeconds,
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  }
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  if (spec.serviceAccountName) {
    for (const m of isDns1123Subdomain(spec.serviceAccountName)) {
      errs.push(FieldError.invalid(`${path}.serviceAccountName`, spec.serviceAccountName, m));
    }
  }
  for (const field of ['hostname', 'subdomain'] as const) {
    const value = spec[field];
    if (value) for (const m of isDns1123Label(value)) errs.push(FieldError.invalid(`${path}.${field}`, value, m));
  }
  return errs;
}
