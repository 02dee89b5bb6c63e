/**
 * What is special about the networking and storage kinds: Ingress (absolute paths, one backend
 * each), IngressClass, NetworkPolicy (policyTypes defaulted from its rules), EndpointSlice
 * (address type fixed), StorageClass (provisioner, parameters, reclaim policy and binding mode
 * fixed; Delete and Immediate by default), the CSI kinds and VolumeAttachment — with kubectl's
 * columns for each.
 */
import { FieldError } from '../../api/errors.js';
import { formatLabelSelector, type LabelSelector } from '../../api/label-selector.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import { semanticEqual } from '../../api/validation.js';
import type { KindBehaviour } from './builder.js';
import { at, column, lengthAt, text } from './columns.js';

function list(obj: unknown, path: string): Record<string, unknown>[] {
  const value = at(obj, path);
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function ingressErrors(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  list(obj, 'spec.rules').forEach((rule, r) => {
    list(rule, 'http.paths').forEach((path, p) => {
      const at_ = `spec.rules[${r}].http.paths[${p}]`;
      if ((path.pathType === 'Prefix' || path.pathType === 'Exact') && !String(path.path ?? '').startsWith('/')) {
        errs.push(FieldError.invalid(`${at_}.path`, path.path ?? '', 'must be an absolute path'));
      }
      errs.push(...backendErrors(path.backend, `${at_}.backend`));
    });
  });
  if (isRecord(at(obj, 'spec.defaultBackend')))
    errs.push(...backendErrors(at(obj, 'spec.defaultBackend'), 'spec.defaultBackend'));
  return errs;
}

function backendErrors(backend: unknown, path: string): FieldError[] {
  if (!isRecord(backend)) return [FieldError.required(path)];
  if (backend.service && backend.resource)
    return [FieldError.invalid(path, '', 'cannot set both resource and service backends')];
  if (!backend.service && !backend.resource)
    return [FieldError.invalid(path, '', 'resource or service backend is required')];
  const port = at(backend, 'service.port');
  if (backend.service && (!isRecord(port) || (port.name === undefined && port.number === undefined))) {
    return [FieldError.invalid(`${path}.service.port`, port ?? '', 'port name or number is required')];
  }
  return [];
}

function ingressHosts(obj: KubeObject): string {
  const hosts = list(obj, 'spec.rules').map((r) => String(r.host ?? '*'));
  return hosts.length > 0 ? hosts.join(',') : '*';
}

function loadBalancerAddress(obj: KubeObject): string {
  return list(obj, 'status.loadBalancer.ingress')
    .map((i) => String(i.ip ?? i.hostname ?? ''))
    .filter(Boolean)
    .join(',');
}

export const ingress: KindBehaviour = {
  validate: ingressErrors,
  columns: [
    column('CLASS', (o) => text(o, 'spec.ingressClassName')),
    column('HOSTS', ingressHosts),
    column('ADDRESS', loadBalancerAddress),
    column('PORTS', (o) => (lengthAt(o, 'spec.tls') > 0 ? '80, 443' : '80')),
  ],
};

export const ingressClass: KindBehaviour = {
  columns: [
    column('CONTROLLER', (o) => text(o, 'spec.controller', '')),
    column('PARAMETERS', (o) => {
      const params = at(o, 'spec.parameters');
      if (!isRecord(params)) return '<none>';
      return `${params.apiGroup ? `${String(params.kind)}.${String(params.apiGroup)}` : String(params.kind)}/${String(params.name)}`;
    }),
  ],
};

export const networkPolicy: KindBehaviour = {
  defaults(obj) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
      spec.policyTypes = lengthAt(obj, 'spec.egress') > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    }
    obj.spec = spec;
  },
  columns: [column('POD-SELECTOR', (o) => formatLabelSelector(at(o, 'spec.podSelector') as LabelSelector | undefined))],
};

export const endpointSlice: KindBehaviour = {
  validateUpdate(obj, old) {
    return obj.addressType === old.addressType ? [] : [FieldError.immutable('addressType', obj.addressType)];
  },
  columns: [
    column('ADDRESSTYPE', (o) => text(o, 'addressType', '')),
    column(
      'PORTS',
      (o) =>
        list(o, 'ports')
          .map((p) => String(p.port ?? ''))
          .join(',') || '<unset>',
    ),
    column('ENDPOINTS', (o) => {
      const addresses = list(o, 'endpoints').flatMap((e) =>
        Array.isArray(e.addresses) ? e.addresses.map(String) : [],
      );
      if (addresses.length === 0) return '<unset>';
      return addresses.length > 3
        ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...`
        : addresses.join(',');
    }),
  ],
};

/** Fields of a StorageClass that never change, with Kubernetes' message for each. */
const fixedStorageClassFields: [string, (value: unknown) => FieldError][] = [
  ['parameters', () => FieldError.forbidden('parameters', 'updates to parameters are forbidden.')],
  ['provisioner', () => FieldError.forbidden('provisioner', 'updates to provisioner are forbidden.')],
  ['reclaimPolicy', () => FieldError.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.')],
  ['volumeBindingMode', (value) => FieldError.immutable('volumeBindingMode', value)],
];

export const storageClass: KindBehaviour = {
  defaults(obj) {
    obj.reclaimPolicy ??= 'Delete';
    obj.volumeBindingMode ??= 'Immediate';
  },
  validateUpdate: (obj: KubeObject, old: KubeObject) =>
    fixedStorageClassFields
      .filter(([field]) => !semanticEqual(obj[field], old[field]))
      .map(([field, error]) => error(obj[field])),
  columns: [
    column('PROVISIONER', (o) => text(o, 'provisioner', '')),
    column('RECLAIMPOLICY', (o) => text(o, 'reclaimPolicy', '')),
    column('VOLUMEBINDINGMODE', (o) => text(o, 'volumeBindingMode', '')),
    column('ALLOWVOLUMEEXPANSION', (o) => String(at(o, 'allowVolumeExpansion') === true)),
  ],
};

export const csiDriver: KindBehaviour = {
  defaults(obj) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    spec.attachRequired ??= true;
    spec.podInfoOnMount ??= false;
    spec.storageCapacity ??= false;
    spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
    spec.requiresRepublish ??= false;
    spec.seLinuxMount ??= false;
    spec.volumeLifecycleModes ??= ['Persistent'];
    obj.spec = spec;
  },
  columns: [
    column('ATTACHREQUIRED', (o) => String(at(o, 'spec.attachRequired') !== false)),
    column('PODINFOONMOUNT', (o) => String(at(o, 'spec.podInfoOnMount') === true)),
    column('STORAGECAPACITY', (o) => String(at(o, 'spec.storageCapacity') === true)),
    column(
      'TOKENREQUESTS',
      (o) =>
        list(o, 'spec.tokenRequests')
          .map((t) => String(t.audience ?? ''))
          .join(',') || '<unset>',
    ),
    column('REQUIRESREPUBLISH', (o) => String(at(o, 'spec.requiresRepublish') === true)),
    column('MODES', (o) => ((at(o, 'spec.volumeLifecycleModes') as string[] | undefined) ?? []).join(',')),
  ],
};

export const csiNode: KindBehaviour = {
  columns: [column('DRIVERS', (o) => lengthAt(o, 'spec.drivers'), { type: 'integer' })],
};

export const volumeAttachment: KindBehaviour = {
  initialStatus: { attached: false },
  columns: [
    column('ATTACHER', (o) => text(o, 'spec.attacher', '')),
    column('PV', (o) => text(o, 'spec.source.persistentVolumeName', '')),
    column('NODE', (o) => text(o, 'spec.nodeName', '')),
    column('ATTACHED', (o) => String(at(o, 'status.attached') === true)),
  ],
};

export const csiStorageCapacity: KindBehaviour = {
  columns: [
    column('STORAGECLASS', (o) => text(o, 'storageClassName', '')),
    column('CAPACITY', (o) => text(o, 'capacity', '')),
  ],
};
